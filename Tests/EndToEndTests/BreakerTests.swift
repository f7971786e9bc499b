import Foundation
import FTACore
import FTATestSupport
import XCTest

/// The circuit breaker at its three stages, `fta-tick breaker`, and `fta-replay` releasing
/// held notices through real SMTP and HTTP receivers.
final class BreakerTests: EndToEndCase {
    var receiver: Receiver!
    var smtp: SMTPServer!

    override func setUpWithError() throws {
        try super.setUpWithError()
        receiver = try startReceiver()
        smtp = try startSMTP()
        try writeConfig("""
            channels:
              mail: {host: 127.0.0.1, port: \(smtp.port), security: none, from: fta@example.com}
            users:
              dave: {email: dave@example.com}
            user_groups:
              leads: {users: [dave], notice_ways: {default: [mail]}}
            action_configs:
              - {id: 3, name: no repeats, plugin_type: notice, execute_config: {template_detail: {need_poll: false}}}
            message_queue: {dsn: "redis://127.0.0.1:6379/0/fta"}
            """)
    }

    func webhooks(_ pairs: [(strategy: Int64, biz: String)], at t: Int64? = nil) throws -> [Int64] {
        let lines = pairs.enumerated().map { i, p in
            Actions.webhook(url: "\(receiver.baseURL)/hook", extra: ["strategy_id": .int(p.strategy), "bk_biz_id": .string(p.biz)], alertId: "w\(i)")
        }
        return ids(try tick(["enqueue", "-"], at: t, stdin: Actions.lines(lines)))
    }

    func statuses(_ ids: [Int64]) throws -> [String] {
        try ids.map { id in try actionRow(id).status }
    }

    func testRuleOnAStrategy_holdsItsWebhooksWithoutARequest_otherStrategiesRun() throws {
        let rule = try tick(["breaker", "add", "--strategy", "12345", "--description", "storm"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let ids = try webhooks([(12345, "2"), (777, "2"), (12345, "3")])
        let pass = try tick(["run", "--metrics-file", dir.file("tick.prom")])
        XCTAssertEqual(try statuses(ids), ["blocked", "success", "blocked"])
        XCTAssertEqual(try receiver.requests().filter { $0["path"]?.stringValue == "/hook" }.count, 1)
        let held = try actionRow(ids[0])
        XCTAssertEqual(held.failureType, "blocked")
        let exData = held.exData
        XCTAssertEqual(exData["circuit_breaking"], true)
        XCTAssertTrue(exData["message"]?.stringValue?.contains("breaker rule \(rule)") ?? false)
        XCTAssertTrue(pass.stderr.contains("held by breaker rule \(rule)"), pass.stderr)
        let metrics = try String(contentsOfFile: dir.file("tick.prom"), encoding: .utf8)
        XCTAssertTrue(metrics.contains("fta_tick_actions_held{stage=\"execution\",rule=\"\(rule)\"} 2"), metrics)
        let list = try JSONParser.parse(try tick(["breaker", "list", "--json"]).stdout)
        XCTAssertEqual(list.arrayValue?.first?["held"], 2)
        XCTAssertEqual(list.arrayValue?.first?["description"], "storm")
        XCTAssertEqual(try JSONParser.parse(try tick(["status", "--json"]).stdout)["breaker_rules"], 1)
    }

    func testConditionsOfOneRule_allMustHold_orAnyWithOr() throws {
        try tick(["breaker", "add", "--strategy", "1", "--biz", "2"])
        let and = try webhooks([(1, "3"), (1, "2"), (5, "2")])
        try tick(["run"])
        XCTAssertEqual(try statuses(and), ["success", "blocked", "success"])

        XCTAssertEqual(try tick(["breaker", "clear"]).stdout, "removed 2 rules\n")
        try tick(["breaker", "add", "--strategy", "1", "--biz", "2", "--or"])
        let or = try webhooks([(1, "3"), (5, "2"), (5, "3")])
        try tick(["run"])
        XCTAssertEqual(try statuses(or), ["blocked", "blocked", "success"])
    }

    func testSeparateRules_widenWhatIsHeld() throws {
        try tick(["breaker", "add", "--strategy", "1"])
        try tick(["breaker", "add", "--biz", "9"])
        let ids = try webhooks([(1, "2"), (5, "9"), (5, "2")])
        try tick(["run"])
        XCTAssertEqual(try statuses(ids), ["blocked", "blocked", "success"])
    }

    func alert(_ id: String, biz: Int64) -> JSONValue {
        ["id": .string(id), "strategy_id": 7, "severity": 2, "status": "ABNORMAL", "begin_time": .int(t0), "latest_time": .int(t0), "event": ["bk_biz_id": .int(biz)]]
    }

    func testMessageQueueAction_leavesBlockedAlertsOut_andIsNotMadeWhenAllAreBlocked() throws {
        try tick(["breaker", "add", "--biz", "9", "--plugin-type", "message_queue"])
        let event: JSONValue = ["signal": "abnormal", "alerts": [alert("a1", biz: 2), alert("a2", biz: 9), alert("a3", biz: 2)], "strategy": ["id": 7]]
        let ingested = try tick(["ingest", "--json", "-"], stdin: Actions.lines([event]))
        XCTAssertEqual(try JSONParser.parse(ingested.stdout)["held_by_breaker"], 1, "counted")
        XCTAssertTrue(ingested.stderr.contains("alert a2 left out of the message-queue action: held by breaker rule"), "logged: \(ingested.stderr)")
        let mq = try actionRows().filter { $0.pluginType == "message_queue" }
        XCTAssertEqual(mq.map(\.alerts), [["a1", "a3"]])

        let allBlocked: JSONValue = ["signal": "abnormal", "alerts": [alert("b1", biz: 9), alert("b2", biz: 9)], "strategy": ["id": 7]]
        try tick(["ingest", "-"], stdin: Actions.lines([allBlocked]))
        XCTAssertEqual(try actionRows().filter { $0.alerts.contains { $0.lowercased().contains("b1") } }.count, 0)
    }

    func testNoticeStorm_heldWithTheirSends_replayRefusesWhileTheRuleMatches_thenSendsAllAtTheRate_once() throws {
        let rule = try tick(["breaker", "add", "--strategy", "7"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let events: [JSONValue] = (0..<200).map { i in
            ["signal": "abnormal", "alert": ["id": .string("s-\(i)"), "alert_name": .string("disk full \(i)"), "strategy_id": 7, "severity": 2,
                                             "status": "ABNORMAL", "begin_time": .int(t0), "latest_time": .int(t0), "event": ["bk_biz_id": 2]],
             "strategy": ["id": 7, "notice": ["id": 70, "config_id": 3, "signal": ["abnormal"], "user_groups": ["leads"]]]]
        }
        try tick(["ingest", "-"], stdin: Actions.lines(events))
        try tick(["run", "--batch", "1000"])
        XCTAssertEqual(try smtp.messages().count, 0)
        let held = try actionRows().filter { !$0.isParentAction && $0.status == "blocked" && $0.failureType == "blocked" }
        XCTAssertEqual(held.count, 200)
        let send = held[0].exData["retry_params"]?.arrayValue?.first
        XCTAssertEqual(send?["way"], "mail")
        XCTAssertEqual(send?["addresses"], ["dave@example.com"])
        XCTAssertTrue(send?["title"]?.stringValue?.hasPrefix("[warning] alert: disk full") ?? false)

        // Held is not failed: the parents keep their status, as the original's aggregation.
        XCTAssertEqual(Set(try actionRows().filter(\.isParentAction).map(\.status)), ["success"])
        let dry = try replay(["--dry-run", "--json"], at: t0 + 600)
        XCTAssertEqual(try JSONParser.parse(dry.stdout).arrayValue?.count, 200)
        let refused = try replay([], at: t0 + 600, expect: 1)
        XCTAssertTrue(refused.stderr.contains("200 of the 200 selected notices still match breaker rule \(rule)"), refused.stderr)
        XCTAssertEqual(try smtp.messages().count, 0)

        try tick(["breaker", "remove", rule])
        let started = Date()
        let sent = try replay(["--rate", "50"], at: t0 + 600)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(sent.stdout, "replayed 200 held notices: 200 sent, 0 failed\n")
        XCTAssertGreaterThanOrEqual(elapsed, 3.9, "at most 50 a second")
        XCTAssertEqual(try smtp.messages().count, 200)
        let marked = try actionRows().filter { !$0.isParentAction }
        XCTAssertEqual(Set(marked.map(\.status)), ["success"])
        XCTAssertEqual(marked[0].exData["replay"]?["result"], true)
        XCTAssertEqual(try database.logCount(step: "replay"), 200)

        let again = try replay([], at: t0 + 600)
        XCTAssertTrue(again.stderr.contains("no held notices match"), again.stderr)
        XCTAssertEqual(try smtp.messages().count, 200)
    }

    func testReplayFailure_staysReplayable_andDigestFoldsAReceiversNotices() throws {
        let rule = try tick(["breaker", "add", "--strategy", "7"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let events: [JSONValue] = (0..<3).map { i in
            ["signal": "abnormal", "alert": ["id": .string("s-\(i)"), "alert_name": .string("disk full \(i)"), "strategy_id": 7, "status": "ABNORMAL",
                                             "begin_time": .int(t0), "event": ["bk_biz_id": 2]],
             "strategy": ["id": 7, "notice": ["id": 70, "config_id": 3, "signal": ["abnormal"], "user_groups": ["leads"]]]]
        }
        try tick(["ingest", "-"], stdin: Actions.lines(events))
        try tick(["run"])
        try tick(["breaker", "remove", rule])
        // The mail server is gone: the replay fails and the notices stay held.
        smtp.stop()
        let failed = try replay(["--rate", "100"], at: t0 + 600, expect: 1)
        XCTAssertTrue(failed.stdout.contains("0 sent, 3 failed"), failed.stdout)
        XCTAssertEqual(try actionRows().filter { $0.failureType == "blocked" && $0.status == "failure" }.count, 3)
        smtp = try startSMTP(log: "mail2.jsonl")
        try writeConfig(try configText().replacingOccurrences(of: "port: \\d+", with: "port: \(smtp.port)", options: .regularExpression), name: "fta2.yaml")
        let digest = try replay(["--digest", "--rate", "100"], at: t0 + 600)
        XCTAssertEqual(digest.stdout, "replayed 3 held notices: 3 sent, 0 failed\n")
        let mails = try smtp.messages()
        XCTAssertEqual(mails.count, 1, "one digest for dave")
        XCTAssertEqual(mails[0]["subject"], "3 notices held during an alert storm")
        for i in 0..<3 { XCTAssertTrue(mails[0]["body"]?.stringValue?.contains("disk full \(i)") ?? false) }
    }

    func testExpiredRulesStopMatching_andClearRemovesAll() throws {
        try tick(["breaker", "add", "--strategy", "12345", "--ttl", "1h"])
        try tick(["breaker", "add", "--biz", "77"])
        let ids = try webhooks([(12345, "2")], at: t0 + 3601)
        try tick(["run"], at: t0 + 3601)
        XCTAssertEqual(try statuses(ids), ["success"])
        let listed = try JSONParser.parse(try tick(["breaker", "list", "--json"], at: t0 + 3601).stdout)
        XCTAssertEqual(listed.arrayValue?.compactMap { $0["key"]?.stringValue }, ["bk_biz_id"])
        XCTAssertEqual(try tick(["breaker", "clear"]).stdout, "removed 2 rules\n")
        XCTAssertEqual(try JSONParser.parse(try tick(["breaker", "list", "--json", "--include-expired"]).stdout), [])
    }

    func testBadRuleInput_clearError_exit2_nothingStored() throws {
        let cases: [([String], String)] = [
            (["--rule", "color eq red"], "'color' is not a breaker dimension"),
            (["--rule", "strategy_id like 1"], "'like' is not a method"),
            (["--rule", "strategy_id reg ("], "'(' is not a valid regular expression"),
            (["--rule", "strategy_id gt many"], "'many' is not a number"),
            (["--strategy", "1", "--ttl", "soon"], "--ttl 'soon'"),
            ([], "give at least one condition"),
        ]
        for (args, message) in cases {
            let r = try tick(["breaker", "add"] + args, expect: 2)
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1)
        }
        XCTAssertEqual(try JSONParser.parse(try tick(["breaker", "list", "--json"]).stdout), [])
    }
}
