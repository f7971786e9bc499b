import Foundation
import FTACore
import FTATestSupport
import XCTest

/// Convergence in the pass (original-system.md §6): a storm of identical actions meets one converge
/// instance, and the converge function lets one through.
final class ConvergeTests: EndToEndCase {
    var receiver: Receiver!

    override func setUpWithError() throws {
        try super.setUpWithError()
        receiver = try startReceiver()
    }

    /// `n` webhook actions of one strategy and package for different alerts, `converge_config` in their inputs.
    func storm(_ n: Int, function: String, count: Int = 1, timedelta: Int = 120, from: Int = 0) -> [JSONValue] {
        (from..<(from + n)).map { i in
            Actions.webhook(url: receiver.baseURL + "/restart",
                            extra: ["inputs": ["converge_config": ["is_enabled": true, "timedelta": .int(Int64(timedelta)), "count": .int(Int64(count)),
                                                                   "converge_func": .string(function)]]], alertId: "a\(i)")
        }
    }

    /// Enqueue without the config: the test's config is for the pass.
    func enqueue(_ lines: [JSONValue], at t: Int64, file: StaticString = #filePath, line: UInt = #line) throws {
        try tick(["enqueue", "-"], at: t, without: .config, stdin: Actions.lines(lines), file: file, line: line)
    }

    func pass(at t: Int64, file: StaticString = #filePath, line: UInt = #line) throws {
        try tick(["run"], at: t, file: file, line: line)
    }

    func statuses() throws -> [String: Int] {
        var out: [String: Int] = [:]
        for s in try database.actions().map(\.status) { out[s, default: 0] += 1 }
        return out
    }

    func testTwentyIdenticalWebhooks_skipWhenSuccess_oneRunsTheRestAreSkipped() throws {
        // 20 within two minutes.
        for i in 0..<4 { try enqueue(Array(storm(20, function: "skip_when_success")[(i * 5)..<(i * 5 + 5)]), at: t0 + Int64(i * 30)) }
        try pass(at: t0 + 100)
        XCTAssertEqual(try statuses(), ["success": 1, "sleep": 19], "the others wait while the first one runs")
        try pass(at: t0 + 130)
        XCTAssertEqual(try statuses(), ["success": 1, "skipped": 19])
        XCTAssertEqual(try receiver.requests().filter { $0["path"] == "/restart" }.count, 1, "exactly one request")
        XCTAssertEqual(try database.convergeInstances().count, 1)
        XCTAssertEqual(try database.convergeRelations().count, 20)
        XCTAssertEqual(try database.convergeRelations().filter { $0.convergeStatus == "executed" }.count, 1)
        let show = try json(tick(["show", "--json", "2"], without: .now, expect: nil))
        XCTAssertEqual(show["converge"]?["relations"]?.arrayValue?.count, 20)
        XCTAssertEqual(show["converge"]?["converge_status"], "skipped")
        let status = try json(tick(["status", "--json"], without: .now, expect: nil))
        XCTAssertEqual(status["converge_instances_open"]?.intValue, 1)
    }

    func testConvergedActions_areExportedWithTheirConvergeId_andOnlyTheOneThatRanIsPrimary() throws {
        for i in 0..<2 { try enqueue(Array(storm(10, function: "skip_when_success")[(i * 5)..<(i * 5 + 5)]), at: t0 + Int64(i * 30)) }
        try pass(at: t0 + 100)
        try pass(at: t0 + 130)
        XCTAssertEqual(try statuses(), ["success": 1, "skipped": 9])
        let instance = try XCTUnwrap(try database.convergeInstances().first?.id)
        let es = try startES()
        try writeConfig("elasticsearch: {url: \"\(es.url)\"}\n")
        try sync([], at: t0 + 200)
        let docs = try es.documents().values.map(\.source)
        XCTAssertEqual(docs.count, 10)
        XCTAssertEqual(Set(docs.compactMap { $0["converge_id"]?.stringValue }), ["\(instance)"], "every converged action names its instance")
        let primary = docs.filter { $0["is_converge_primary"] == .bool(true) }
        XCTAssertEqual(primary.count, 1)
        XCTAssertEqual(primary.first?["status"], "success", "the primary is the one that ran")
        // An action that was never converged keeps "0".
        try enqueue([Actions.webhook(url: receiver.baseURL + "/plain", alertId: "lone")], at: t0 + 300)
        try pass(at: t0 + 300)
        try sync([], at: t0 + 400)
        let lone = try es.documents().values.map(\.source).filter { $0["converge_id"] == "0" }
        XCTAssertEqual(lone.count, 1)
        XCTAssertEqual(lone.first?["is_converge_primary"], .bool(false))
    }

    func testShieldedAlert_endsShield_notConverged() throws {
        let line = storm(1, function: "skip_when_success")[0]
        var inputs = line["inputs"]!.objectValue!
        inputs["is_alert_shielded"] = true
        inputs["shield_detail"] = "maintenance window 12"
        try enqueue([line.setting("inputs", .object(inputs))], at: t0)
        try pass(at: t0)
        XCTAssertEqual(try statuses(), ["shield": 1])
        XCTAssertEqual(try receiver.requests().count, 0)
        XCTAssertEqual(try database.convergeInstances().count, 0)
    }

    func testOverlappingPasses_oneInstancePerDimension() throws {
        try enqueue(storm(20, function: "skip_when_success"), at: t0)
        let passes = try (0..<2).map { _ in try start("fta-tick", ["run", "--batch", "5"]) }
        for p in passes { p.process.waitUntilExit(); XCTAssertEqual(p.process.terminationStatus, 0) }
        try pass(at: t0 + 30)
        XCTAssertEqual(try database.convergeInstances().count, 1)
        XCTAssertEqual(try statuses(), ["success": 1, "skipped": 19])
        XCTAssertEqual(try receiver.requests().filter { $0["path"] == "/restart" }.count, 1)
    }

    func testSkipWhenExceed_afterTheCountTheRestAreSkipped_andDefenseWaitsForApproval() throws {
        try enqueue(storm(5, function: "skip_when_exceed", count: 2), at: t0)
        try pass(at: t0)
        XCTAssertEqual(try statuses(), ["success": 2, "skipped": 3])

        let bk = try startBK()
        try bk.configure(["approval_states": ["RUNNING"]])
        try writeConfig("itsm: {url: \"\(bk.url)/itsm\", approval_service_id: 5}\n")
        var defense = storm(4, function: "defense", count: 2, from: 10)
        defense = defense.map { $0.setting("action_config", ["id": 6, "name": "guarded hook", "execute_config": $0["action_config"]!["execute_config"]!]) }
        try enqueue(defense, at: t0 + 1000)
        try pass(at: t0 + 1000)
        XCTAssertEqual(try database.actions().filter { $0.id > 5 }.map(\.status), ["success", "success", "waiting", "waiting"],
                       "the third and fourth wait for approval")
        XCTAssertEqual(try bk.requests().filter { $0["path"] == "/itsm/create_ticket/" }.count, 2)
    }

    func testKilledPass_theNextOneFinishesConvergence_nothingStuckInSleep() throws {
        try enqueue(storm(5, function: "skip_when_success"), at: t0)
        // A pass claimed them and died before converging: leased until t0 + 100.
        try DatabaseTamper.leaseToDeadWorker(db, until: t0 + 100)
        try pass(at: t0 + 10)
        XCTAssertEqual(try database.convergeInstances().count, 0)
        try pass(at: t0 + 101)
        try pass(at: t0 + 131)
        XCTAssertEqual(try statuses(), ["success": 1, "skipped": 4])

        // The first of a new storm keeps failing and retrying (every 300 s, 5 times): the others
        // sleep on it, but not past max(timeout 600 s, timedelta): then they are skipped.
        try receiver.script(path: "/flaky", statuses: Array(repeating: 500, count: 20))
        let flaky = (20..<23).map { i in
            Actions.webhook(url: receiver.baseURL + "/flaky", maxRetryTimes: 5, retryInterval: 300,
                            extra: ["inputs": ["converge_config": ["is_enabled": true, "timedelta": 120, "count": 1, "converge_func": "skip_when_success"]]], alertId: "a\(i)")
        }
        try enqueue(flaky, at: t0 + 5000)
        var t = t0 + 5000
        while t <= t0 + 5000 + 660 {
            try pass(at: t)
            t += 30
        }
        XCTAssertEqual(try database.actions().filter { ["sleep", "converging"].contains($0.status) }.count, 0)
        XCTAssertEqual(try database.actions().filter { $0.id > 5 }.map(\.status), ["failure", "skipped", "skipped"],
                       "the first timed out at its deadline; the sleepers gave up")
    }

    // MARK: summary notices

    /// `rule`: `tick.notice_converge` (the original's forced rule, or the relation's config).
    func writeNoticeConfig(_ smtp: SMTPServer, users: [String], rule: String = "original") throws {
        try writeConfig("""
            tick: {notice_converge: \(rule)}
            channels:
              mail: {host: 127.0.0.1, port: \(smtp.port), security: none, from: fta@example.com}
            users:
            \(users.map { "  \($0): {email: \($0)@example.com}" }.joined(separator: "\n"))
            user_groups:
              ops: {users: [\(users.joined(separator: ", "))], notice_ways: {default: [mail]}}
            action_configs:
              - {id: 3, name: ops mail, plugin_type: notice, execute_config: {template_detail: {need_poll: false}}}
            """)
    }

    /// Alert events for `strategy`, notices converged per strategy, signal, receiver and way
    /// (with the relation's own rule; the original's adds the alert's dimensions). `host` names
    /// each alert's host (default: its own).
    func noticeStorm(strategy: Int64, alerts: Int, function: String, biz: Bool = false, at t: Int64, count: Int = 1,
                     host: (Int) -> Int = { $0 }) -> [JSONValue] {
        var converge: JSONValue = ["is_enabled": true, "converge_func": .string(function), "timedelta": 120, "count": .int(Int64(count)),
                                   "condition": [["dimension": "strategy_id", "value": ["self"]], ["dimension": "signal", "value": ["self"]],
                                                 ["dimension": "notice_receiver", "value": ["self"]], ["dimension": "notice_way", "value": ["self"]]]]
        if biz { converge = converge.setting("need_biz_converge", true).setting("sub_converge_config", ["timedelta": 120, "count": 3]) }
        return (0..<alerts).map { i in
            [
                "signal": "abnormal",
                "alert": ["id": .string("s\(strategy)-\(i)"), "alert_name": .string("Disk full on host-\(i)"), "strategy_id": .int(strategy), "severity": 2,
                          "status": "ABNORMAL", "begin_time": .int(t + Int64(i)), "latest_time": .int(t + Int64(i)), "event": ["bk_biz_id": 2],
                          "dimensions": [["key": "host", "value": .string("host-\(host(i))")]]],
                "strategy": ["id": .int(strategy), "name": .string("strategy \(strategy)"), "bk_biz_id": 2,
                             "notice": ["id": .int(strategy * 10), "config_id": 3, "signal": ["abnormal"], "user_groups": ["ops"],
                                        "options": ["converge_config": converge]]],
            ]
        }
    }

    func testBusinessStage_threeStrategiesToOneReceiver_oneBusinessSummary() throws {
        let smtp = try startSMTP()
        try writeNoticeConfig(smtp, users: ["alice"], rule: "configured")
        let events = [9, 10, 11].flatMap { noticeStorm(strategy: $0, alerts: 5, function: "collect_alarm", biz: true, at: t0) }
        try tick(["ingest", "-"], at: t0 + 20, stdin: Actions.lines(events))
        try pass(at: t0 + 20)
        XCTAssertEqual(try database.convergeInstances().map(\.convergeType), ["action", "action", "action", "converge"])
        try pass(at: t0 + 80)
        let mails = try smtp.messages()
        XCTAssertEqual(mails.count, 1, "one business summary instead of three")
        XCTAssertTrue(mails.first?["subject"]?.stringValue?.contains("15 notices") ?? false, "\(mails.first?["subject"] ?? "")")
        XCTAssertTrue(mails.first?["body"]?.stringValue?.contains("business summary of 3 strategies") ?? false)
        XCTAssertEqual(try database.actions().filter { $0.signal == "collect" }.map(\.status), ["skipped", "skipped", "skipped", "success"])
        XCTAssertEqual(Set(try database.actions().filter { $0.signal == "abnormal" && !$0.isParentAction }.map(\.realStatus)), ["success"])
    }

    func testCollect_theFirstIsSent_theRestSummarised_andASummaryPassesTheBreaker() throws {
        let smtp = try startSMTP()
        try writeNoticeConfig(smtp, users: ["alice"], rule: "configured")
        try tick(["ingest", "-"], at: t0 + 20, stdin: Actions.lines(noticeStorm(strategy: 9, alerts: 6, function: "collect", at: t0)))
        try pass(at: t0 + 20)
        XCTAssertEqual(try smtp.messages().count, 1, "the first notice goes out at once")
        // A breaker rule for business 2 before the summary is due: the summary is held like any notice.
        try tick(["breaker", "add", "--biz", "2"], without: [.now, .config])
        try pass(at: t0 + 80)
        XCTAssertEqual(try smtp.messages().count, 1)
        XCTAssertEqual(try database.actions().filter { $0.signal == "collect" }.map(\.status), ["blocked"])
        XCTAssertEqual(Set(try database.actions().filter { $0.signal == "abnormal" && !$0.isParentAction && $0.status == "skipped" }.map(\.realStatus)),
                       ["blocked"], "the five it covers share its fate")
    }

    func testCollectAlarm_thirtyAlertsToOneGroup_oneSummaryPerReceiverAndWay_childrenSkippedWithItsStatus() throws {
        let smtp = try startSMTP()
        try writeNoticeConfig(smtp, users: ["alice", "bob"], rule: "configured")
        let events = noticeStorm(strategy: 9, alerts: 30, function: "collect_alarm", at: t0)
        try tick(["ingest", "-"], at: t0 + 40, stdin: Actions.lines(events))
        try pass(at: t0 + 40)
        XCTAssertEqual(try smtp.messages().count, 0, "every child converged: nothing sent yet")
        XCTAssertEqual(try database.actions().filter { $0.signal == "collect" && $0.status == "sleep" }.count, 2, "one summary per receiver and way")
        try pass(at: t0 + 100)
        let mails = try smtp.messages()
        XCTAssertEqual(mails.map { $0["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue) ?? [] }.sorted { $0.description < $1.description },
                       [["alice@example.com"], ["bob@example.com"]])
        XCTAssertTrue(mails.allSatisfy { ($0["subject"]?.stringValue ?? "").contains("30 notices") }, "\(mails.map { $0["subject"] ?? "" })")
        XCTAssertTrue(mails[0]["body"]?.stringValue?.contains("Disk full on host-0 (s9-0)") ?? false, mails[0]["body"]?.stringValue ?? "")
        XCTAssertEqual(Set(try database.actions().filter { $0.signal == "abnormal" && !$0.isParentAction }.map { "\($0.status)/\($0.realStatus)" }),
                       ["skipped/success"], "every child skipped, stamped with the summary's status")
        XCTAssertEqual(try database.convergeInstances().filter { $0.endTime == nil }.count, 0, "the summaries ended their instances")
    }

    func testTheOriginalsNoticeRule_onlyRepeatsOfOneNoticeConverge() throws {
        let smtp = try startSMTP()
        try writeNoticeConfig(smtp, users: ["alice"])
        // Four alerts, the last a flapping repeat of the first (a new alert, the same host); the
        // relation asks for five before converging, across hosts.
        let events = noticeStorm(strategy: 9, alerts: 4, function: "collect", at: t0, count: 5, host: { $0 == 3 ? 0 : $0 })
        try tick(["ingest", "-"], at: t0 + 20, stdin: Actions.lines(events))
        try pass(at: t0 + 20)
        XCTAssertEqual(try smtp.messages().count, 3, "one notice per host: a 120 s window and a count of 1 per alert, way and receiver")
        let children = try database.actions().filter { $0.signal == "abnormal" && !$0.isParentAction }
        XCTAssertEqual(children.map(\.status).sorted(), ["skipped", "success", "success", "success"], "the repeat converged")
        XCTAssertEqual(try database.convergeInstances().count, 3, "an instance per alert, way and receiver")
    }

    func testTheRelationsOwnRule_theSameStorm_fiveNeededSoFourGoOut() throws {
        let smtp = try startSMTP()
        try writeNoticeConfig(smtp, users: ["alice"], rule: "configured")
        let events = noticeStorm(strategy: 9, alerts: 4, function: "collect", at: t0, count: 5, host: { $0 == 3 ? 0 : $0 })
        try tick(["ingest", "-"], at: t0 + 20, stdin: Actions.lines(events))
        try pass(at: t0 + 20)
        XCTAssertEqual(try smtp.messages().count, 4)
    }

    func testTheOriginalsNoticeRule_threeStrategiesStorms_oneBusinessSummary() throws {
        let smtp = try startSMTP()
        try writeNoticeConfig(smtp, users: ["alice"])
        let storm = [9, 10, 11].flatMap { noticeStorm(strategy: $0, alerts: 3, function: "collect_alarm", biz: true, at: t0) }
        try tick(["ingest", "-"], at: t0 + 20, stdin: Actions.lines(storm))
        try pass(at: t0 + 20)
        XCTAssertEqual(try database.convergeInstances().map(\.convergeType).filter { $0 == "action" }.count, 9, "an instance per alert, way and receiver")
        try pass(at: t0 + 80)
        let mails = try smtp.messages()
        XCTAssertEqual(mails.count, 1, "one business summary")
        XCTAssertTrue(mails.first?["subject"]?.stringValue?.contains("9 notices") ?? false, "\(mails.first?["subject"] ?? "")")
    }
}
