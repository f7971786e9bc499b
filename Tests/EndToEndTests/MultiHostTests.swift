import Foundation
import FTACore
import FTAPostgres
import FTATestSupport
import XCTest

/// Several "hosts" (processes with their own `--worker-id`) on one database: every action runs
/// once, a killed pass's claims come back once, fencing holds across hosts, and the places where
/// only SQLite's single writer kept things right (convergence, notice parents, quotas, the rota
/// pass) stay right. Each runs on both backends unless it is about PostgreSQL itself.
final class MultiHostTests: EndToEndCase {
    /// Starts `fta-tick run` as host `host` (extra flags after), on the test clock unless `at` is nil and `real`.
    func host(_ host: String, _ extra: [String] = [], at t: Int64? = nil) throws -> Binaries.Started {
        try start("fta-tick", ["run", "--worker-id", host, "--log-level", "warning"] + extra, at: t)
    }

    func finish(_ passes: [Binaries.Started], file: StaticString = #filePath, line: UInt = #line) {
        for p in passes {
            let err = p.stderrPipe.fileHandleForReading.readDataToEndOfFile()
            p.process.waitUntilExit()
            XCTAssertEqual(p.process.terminationStatus, 0, String(decoding: err, as: UTF8.self), file: file, line: line)
        }
    }

    func pg() throws -> PostgresProbe { try PostgresProbe(db) }

    func testFourHostsAndFourMoreOverlapping_sendEachOfTenThousandWebhooksOnce() throws {
        let receiver = try startReceiver()
        let lines = (0..<10_000).map { Actions.webhook(url: receiver.baseURL + "/h", alertId: "a\($0)") }
        try tick(["enqueue", "-"], stdin: Actions.lines(lines))
        var passes = try (1...4).map { try host("h\($0)", ["--batch", "200", "--concurrency", "8"]) }
        usleep(300_000)
        passes += try (5...8).map { try host("h\($0)", ["--batch", "200", "--concurrency", "8"]) }
        finish(passes)
        try tick(["run"])  // anything left (none expected)
        let keys = try receiver.requests().compactMap { $0["headers"]?["idempotency-key"]?.stringValue }
        XCTAssertEqual(keys.count, 10_000, "one request per action")
        XCTAssertEqual(Set(keys).count, 10_000, "no Idempotency-Key twice")
        let rows = try actionRows()
        XCTAssertEqual(Set(rows.map(\.status)), ["success"])
        XCTAssertEqual(Set(rows.map(\.executeTimes)), [1])
    }

    func testFourHostsEnqueueingTheSameKeysAtOnce_storeEachKeyOnce_andAgreeOnItsId() throws {
        // 3,000 lines, 2,500 keys (the last 500 lines repeat keys of the first), enqueued by four
        // processes at the same moment: each key is stored once, and every process answers every
        // line with the id that holds its key (stored by it, or a duplicate of another's).
        let lines = (0..<3_000).map { i in
            Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["dedupe_key": .string("key-\(i % 2_500)")], alertId: "a\(i)")
        }
        let path = dir.file("same.jsonl")
        try Actions.lines(lines).write(toFile: path, atomically: true, encoding: .utf8)
        let runs = try (1...4).map { _ in try start("fta-tick", ["enqueue", "--json", path]) }
        var answers: [[Int: Int64]] = []
        var storedBy: [Int64] = []
        for p in runs {
            // Both pipes at once: a process blocked on a full stderr pipe would never end stdout.
            nonisolated(unsafe) var err = Data()
            let reading = DispatchGroup()
            DispatchQueue.global().async(group: reading) { err = p.stderrPipe.fileHandleForReading.readDataToEndOfFile() }
            let out = p.stdoutPipe.fileHandleForReading.readDataToEndOfFile()
            reading.wait()
            p.process.waitUntilExit()
            XCTAssertEqual(p.process.terminationStatus, 0, String(decoding: err, as: UTF8.self))
            var answer: [Int: Int64] = [:]
            for line in String(decoding: out, as: UTF8.self).split(separator: "\n") {
                let batch = try JSONParser.parse(String(line))
                for s in batch["stored"]?.arrayValue ?? [] {
                    answer[Int(s["line"]?.intValue ?? 0)] = s["id"]?.intValue
                    storedBy.append(s["id"]?.intValue ?? 0)
                }
                for d in batch["duplicates"]?.arrayValue ?? [] { answer[Int(d["line"]?.intValue ?? 0)] = d["id"]?.intValue }
            }
            XCTAssertEqual(answer.count, 3_000, "every line answered")
            answers.append(answer)
        }
        let rows = try actionRows()
        XCTAssertEqual(rows.count, 2_500, "each key stored once")
        XCTAssertEqual(storedBy.count, 2_500, "each row reported stored by one process")
        XCTAssertEqual(Set(storedBy), Set(rows.map(\.id)))
        for line in 1...3_000 {
            let ids = Set(answers.compactMap { $0[line] })
            XCTAssertEqual(ids.count, 1, "line \(line): the processes disagree: \(ids)")
            if line > 2_500 { XCTAssertEqual(ids, Set(answers.compactMap { $0[line - 2_500] }), "line \(line) repeats the key of line \(line - 2_500)") }
        }
    }

    func testKill9AfterTheClaim_theOthersFinish_andOnlyTheKilledPassesUnrecordedRowsRunAgain() throws {
        let receiver = try startReceiver()
        try receiver.script(path: "/slow", delay: 2)
        let slow = (0..<8).map { Actions.webhook(url: receiver.baseURL + "/slow", requestTimeout: 10, alertId: "s\($0)") }
        let fast = (0..<40).map { Actions.webhook(url: receiver.baseURL + "/fast", alertId: "f\($0)") }
        try tick(["enqueue", "-"], stdin: Actions.lines(slow))
        let victim = try host("victim", ["--batch", "8", "--concurrency", "8", "--lease", "30"])
        // It has claimed the slow ones and sent them; it dies before any answer comes back.
        var waited = 0
        while try receiver.requests().count < 8, waited < 100 { usleep(50_000); waited += 1 }
        kill(victim.process.processIdentifier, SIGKILL)
        victim.process.waitUntilExit()
        try tick(["enqueue", "-"], stdin: Actions.lines(fast))
        finish(try (1...2).map { try host("h\($0)", ["--concurrency", "4"]) })
        XCTAssertEqual(try receiver.requests().filter { $0["path"] == "/fast" }.count, 40, "the other hosts finish the rest")
        XCTAssertEqual(try actionRows().filter { $0.leaseOwner == "victim" }.count, 8, "the dead host's claims wait for their lease")
        if isPostgres {
            let c = try pg()
            var locks: Int64 = 1
            for _ in 0..<50 {
                locks = try c.locksOfOtherSessions()
                if locks == 0 { break }
                usleep(100_000)
            }
            XCTAssertEqual(locks, 0, "no lock of the dead session remains")
        }
        // After the lease: exactly those 8 run again, with the keys they were first sent with.
        try tick(["run"], at: t0 + 31)
        let slowKeys = try receiver.requests().filter { $0["path"] == "/slow" }.compactMap { $0["headers"]?["idempotency-key"]?.stringValue }
        XCTAssertEqual(slowKeys.count, 16)
        XCTAssertEqual(Set(slowKeys).count, 8, "each sent again with the same key")
        XCTAssertEqual(try receiver.requests().filter { $0["path"] == "/fast" }.count, 40, "nothing else ran again")
        XCTAssertEqual(Set(try actionRows().map(\.status)), ["success"])
    }

    func testFencingAcrossHosts_aSkipWhileAnotherHostsRequestIsInFlight_wins() throws {
        let receiver = try startReceiver()
        try receiver.script(path: "/slow", delay: 2)
        let id = ids(try tick(["enqueue", "-"], stdin: Actions.lines([Actions.webhook(url: receiver.baseURL + "/slow", requestTimeout: 10)])))[0]
        let pass = try start("fta-tick", ["run", "--worker-id", "h1", "--json", "--log-level", "warning"])
        var waited = 0
        while try receiver.requests().isEmpty, waited < 100 { usleep(50_000); waited += 1 }
        try tick(["skip", "\(id)", "--reason", "handled on host 2"])
        let out = pass.stdoutPipe.fileHandleForReading.readDataToEndOfFile()
        pass.process.waitUntilExit()
        XCTAssertEqual(pass.process.terminationStatus, 0)
        XCTAssertEqual(try JSONParser.parse(String(decoding: out, as: UTF8.self))["lost"], 1, "the in-flight outcome is discarded")
        let row = try actionRow(id)
        XCTAssertEqual(row.status, "skipped")
        XCTAssertEqual(row.exData["message"], "skipped by operator: handled on host 2")
    }

    func testTwoHundredSameDimensionActionsOnFourHosts_oneConvergeInstance_oneRuns() throws {
        let receiver = try startReceiver()
        let storm = (0..<200).map { i in
            Actions.webhook(url: receiver.baseURL + "/restart",
                            extra: ["inputs": ["converge_config": ["is_enabled": true, "timedelta": 120, "count": 1, "converge_func": "skip_when_success"]]], alertId: "a\(i)")
        }
        try tick(["enqueue", "-"], stdin: Actions.lines(storm))
        finish(try (1...4).map { try host("h\($0)", ["--batch", "10", "--concurrency", "4"]) })
        try tick(["run"], at: t0 + 30)
        try tick(["run"], at: t0 + 60)
        XCTAssertEqual(try database.convergeInstances().count, 1, "one instance, no unique-violation failure")
        let statuses = try actionRows().map(\.status)
        XCTAssertEqual(statuses.filter { $0 == "success" }.count, 1)
        XCTAssertEqual(statuses.filter { $0 == "skipped" }.count, 199)
        XCTAssertEqual(try receiver.requests().filter { $0["path"] == "/restart" }.count, 1)
    }

    func testAlertStormWithSummaries_onFourHosts_oneSummary() throws {
        let smtp = try startSMTP()
        try writeConfig("""
            channels:
              mail: {host: 127.0.0.1, port: \(smtp.port), security: none, from: fta@example.com}
            users:
              alice: {email: alice@example.com}
            user_groups:
              ops: {users: [alice], notice_ways: {default: [mail]}}
            action_configs:
              - {id: 3, name: ops mail, plugin_type: notice, execute_config: {template_detail: {need_poll: false}}}
            """)
        let converge: JSONValue = ["is_enabled": true, "converge_func": "collect", "timedelta": 120, "count": 1,
                                   "condition": [["dimension": "strategy_id", "value": ["self"]], ["dimension": "notice_receiver", "value": ["self"]],
                                                 ["dimension": "notice_way", "value": ["self"]]]]
        let events: [JSONValue] = (0..<200).map { i in
            ["signal": "abnormal",
             "alert": ["id": .string("d\(i)"), "alert_name": .string("Disk full on host-\(i)"), "strategy_id": 9, "severity": 2, "status": "ABNORMAL",
                       "begin_time": .int(t0), "latest_time": .int(t0), "event": ["bk_biz_id": 2]],
             "strategy": ["id": 9, "name": "disk", "bk_biz_id": 2,
                          "notice": ["id": 90, "config_id": 3, "signal": ["abnormal"], "user_groups": ["ops"], "options": ["converge_config": converge]]]]
        }
        try tick(["ingest", "-"], stdin: Actions.lines(events))
        finish(try (1...4).map { try host("h\($0)", ["--batch", "20", "--concurrency", "4"]) })
        finish(try (1...4).map { try host("h\($0)", ["--batch", "20"], at: t0 + 70) })
        let mails = try smtp.messages()
        XCTAssertEqual(mails.count, 2, "the first notice, then one summary")
        XCTAssertTrue(mails.contains { ($0["subject"]?.stringValue ?? "").contains("199 notices") }, "\(mails.map { $0["subject"] ?? "" })")
        XCTAssertEqual(try actionRows().filter { $0.signal == "collect" }.map(\.status), ["success"])
    }

    func testNoticeParents_whoseChildrenFinishOnTwoHostsAtOnce_getTheRightAggregate() throws {
        let receiver = try startReceiver()
        try receiver.script(path: "/voice", statuses: Array(repeating: 500, count: 100))
        try writeConfig("""
            channels:
              sms: {url: "\(receiver.baseURL)/sms", body: '{"to": {{ receivers|tojson }}}'}
              voice: {url: "\(receiver.baseURL)/voice", per_receiver: true, body: '{"to": "{{ receiver }}"}'}
            users:
              alice: {phone: "111"}
            user_groups:
              ops: {users: [alice], notice_ways: {default: [sms, voice]}}
              sms: {users: [alice], notice_ways: {default: [sms]}}
            action_configs:
              - {id: 3, name: no repeats, plugin_type: notice, execute_config: {template_detail: {need_poll: false}}}
            """)
        // Half the parents' children both succeed; half have a voice child that fails.
        let events: [JSONValue] = (0..<20).map { i in
            ["signal": "abnormal",
             "alert": ["id": .string("p\(i)"), "strategy_id": 7, "severity": 1, "status": "ABNORMAL", "begin_time": .int(t0), "latest_time": .int(t0),
                       "event": ["bk_biz_id": 2]],
             "strategy": ["id": 7, "name": "cpu", "bk_biz_id": 2,
                          "notice": ["id": 70, "config_id": 3, "signal": ["abnormal"], "user_groups": [.string(i % 2 == 0 ? "sms" : "ops")]]]]
        }
        try tick(["ingest", "-"], stdin: Actions.lines(events))
        finish(try (1...4).map { try host("h\($0)", ["--batch", "2", "--concurrency", "2"]) })
        let rows = try actionRows()
        for parent in rows where parent.isParentAction {
            let children = rows.filter { $0.parentActionId == parent.id }
            let expected = children.allSatisfy { $0.status == "success" } ? "success"
                : children.allSatisfy { $0.status == "failure" } ? "failure" : "partial_failure"
            XCTAssertEqual(parent.status, expected, "parent \(parent.id) with children \(children.map(\.status))")
        }
        XCTAssertEqual(rows.filter { $0.isParentAction && $0.status == "partial_failure" }.count, 10)
        XCTAssertEqual(rows.filter { $0.isParentAction && $0.status == "success" }.count, 10)
    }

    func testARecipientCapOfFive_withFourHostsSendingForty_sendsFive_andOneDigestOfThirtyFive() throws {
        let smtp = try startSMTP()
        try writeConfig("""
            channels:
              mail: {host: 127.0.0.1, port: \(smtp.port), security: none, from: fta@example.com, recipient_cap: {max: 5, window: 600}}
            users:
              dave: {email: dave@example.com}
            user_groups:
              leads: {users: [dave], notice_ways: {default: [mail]}}
            action_configs:
              - {id: 3, name: no repeats, plugin_type: notice, execute_config: {template_detail: {need_poll: false}}}
            """)
        let events: [JSONValue] = (0..<40).map { i in
            ["signal": "abnormal",
             "alert": ["id": .string("q\(i)"), "alert_name": .string("disk full on host-\(i)"), "strategy_id": 7, "severity": 1, "status": "ABNORMAL",
                       "begin_time": .int(t0), "latest_time": .int(t0), "event": ["bk_biz_id": 2]],
             "strategy": ["id": 7, "name": "disk", "bk_biz_id": 2,
                          "notice": ["id": 70, "config_id": 3, "signal": ["abnormal"], "user_groups": ["leads"]]]]
        }
        try tick(["ingest", "-"], stdin: Actions.lines(events))
        finish(try (1...4).map { try host("h\($0)", ["--batch", "5", "--concurrency", "4"]) })
        XCTAssertEqual(try smtp.messages().count, 5)
        finish(try (1...4).map { try host("h\($0)", [], at: t0 + 600) })
        let mails = try smtp.messages()
        XCTAssertEqual(mails.count, 6, "five, then one digest")
        XCTAssertTrue((mails.last?["subject"]?.stringValue ?? "").contains("35"), mails.last?["subject"]?.stringValue ?? "")
    }

    func testTwoRotaPassesAtOnce_writeTheSamePlansAsOne() throws {
        let file = try dir.write("rota.yaml", RotaEndToEndTests.rota)
        let now = "2026-03-27T12:00:00Z"
        let export = ["export", "oncall", "--format", "json", "--from", "2026-03-20 00:00", "--days", "60"]
        try rota(["import", file], now: now, without: .config)
        let passes = try (0..<2).map { _ in try start("fta-rota", ["run"], now: now, without: .config) }
        finish(passes)
        let both = try rota(export, now: now, without: .config).stdout
        // The same rules planned by one pass, in a file of its own.
        let single = dir.file("single.db")
        for args in [["import", file], ["run"]] {
            XCTAssertEqual(try Binaries.run("fta-rota", args + ["--db", single, "--now", now]).status, 0)
        }
        let one = try Binaries.run("fta-rota", export + ["--db", single, "--now", now]).stdout
        XCTAssertEqual(both, one, "two passes at once plan exactly what one does")
        XCTAssertGreaterThan(both.count, 100, both)
    }
}
