import Foundation
import FTACore
import FTATestSupport
import XCTest

/// Lingering passes on the real clock: `fta-tick run --linger` and `fta-sync --linger` keep
/// serving until their runtime ends, so work written by another process, retries and polls go
/// out when they are due rather than at the next cron tick. Bounds here are generous (timing
/// targets are in the benchmark) but every one fails for a pass that drains and exits.
final class LingerTests: EndToEndCase {
    /// Starts a lingering pass on the real clock and waits until it has registered.
    func lingeringPass(maxRuntime: Double, extra: [String] = []) throws -> Binaries.Started {
        let pass = try start("fta-tick", ["run", "--linger", "--max-runtime", "\(maxRuntime)", "--log-level", "warning"] + extra, without: .now)
        try waitUntil("the pass registered", timeout: 10) { !(try self.status()["passes"]?.arrayValue ?? []).isEmpty }
        return pass
    }

    func status() throws -> JSONValue {
        try json(try tick(["status", "--json"], without: .now))
    }

    func waitUntil(_ what: String, timeout: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(20_000)
        }
        XCTFail("timed out after \(timeout) s waiting for \(what)")
    }

    /// Ends a pass with SIGTERM and returns how long it took to exit.
    @discardableResult
    func stop(_ pass: Binaries.Started, file: StaticString = #filePath, line: UInt = #line) -> Double {
        let sent = Date()
        kill(pass.process.processIdentifier, SIGTERM)
        pass.process.waitUntilExit()
        XCTAssertEqual(pass.process.terminationReason, .exit, "exited, not killed by the signal", file: file, line: line)
        XCTAssertEqual(pass.process.terminationStatus, 0, file: file, line: line)
        return Date().timeIntervalSince(sent)
    }

    func testDrainAndExit_remainsTheDefault_andLingerRefusesAFixedClock() throws {
        let t = Date()
        try tick(["run"], without: .now)
        XCTAssertLessThan(Date().timeIntervalSince(t), 5, "a pass without --linger exits once drained")
        let r = try tick(["run", "--linger"], expect: 2)
        XCTAssertTrue(r.stderr.contains("--linger waits on the real clock"), r.stderr)
    }

    func testAnAlertEventIngestedByAnotherProcess_isNoticedWithinASecond_andStatusShowsThePass() throws {
        let receiver = try startReceiver()
        try writeConfig("""
            channels:
              sms: {url: "\(receiver.baseURL)/sms", body: '{"phones": {{ receivers|tojson }}, "text": {{ content|tojson }}}'}
            users:
              alice: {phone: "111"}
            user_groups:
              ops: {users: [alice], notice_ways: {default: [sms]}}
            action_configs:
              - {id: 3, name: no repeats, plugin_type: notice, execute_config: {template_detail: {need_poll: false}}}
            """)
        let pass = try lingeringPass(maxRuntime: 30)
        let passes = try status()["passes"]?.arrayValue ?? []
        XCTAssertEqual(passes.count, 1)
        XCTAssertEqual(passes.first?["lingering"], true)
        usleep(300_000)  // the pass has drained and waits

        let now = Int64(Date().timeIntervalSince1970)
        let event: JSONValue = [
            "signal": "abnormal",
            "alert": ["id": "a-late", "alert_name": "CPU usage high", "strategy_id": 7, "severity": 1, "status": "ABNORMAL",
                      "begin_time": .int(now), "latest_time": .int(now), "event": ["bk_biz_id": 2]],
            "strategy": ["id": 7, "name": "cpu high", "bk_biz_id": 2,
                         "notice": ["id": 70, "config_id": 3, "signal": ["abnormal"], "user_groups": ["ops"]]],
        ]
        let written = Date()
        try tick(["ingest", "-"], without: .now, stdin: Actions.lines([event]))
        try waitUntil("the SMS", timeout: 10) { !(try receiver.requests().isEmpty) }
        XCTAssertLessThan(Date().timeIntervalSince(written), 3, "noticed by the lingering pass, not the next cron tick")

        XCTAssertLessThan(stop(pass), 1, "SIGTERM ends the wait at once")
        let sms = try receiver.requests()
        XCTAssertEqual(sms.count, 1)
        XCTAssertEqual(try JSONParser.parse(try XCTUnwrap(sms.first?["body"]?.stringValue))["phones"], ["111"])
        XCTAssertEqual(Set(try actionRows().map(\.status)), ["success"], "the parent and its child")
        let after = try status()
        XCTAssertEqual(after["passes"]?.arrayValue?.count, 0, "a pass that ended is not listed")
        XCTAssertEqual(after["leased_now"]?.intValue, 0)
    }

    func testAWebhookAnswering500_500_200_succeedsInOnePass_withTheRetriesTwoSecondsApart() throws {
        let receiver = try startReceiver()
        try receiver.script(path: "/flaky", statuses: [500, 500, 200])
        try tick(["enqueue", "-"], without: .now,
                 stdin: Actions.lines([Actions.webhook(url: receiver.baseURL + "/flaky", maxRetryTimes: 3, retryInterval: 2)]))
        let pass = try lingeringPass(maxRuntime: 30)
        try waitUntil("three requests", timeout: 15) { try receiver.requests().count >= 3 }
        stop(pass)

        let times = try receiver.requests().compactMap { $0["time"]?.doubleValue }
        XCTAssertEqual(times.count, 3)
        for i in 1..<times.count {
            let gap = times[i] - times[i - 1]
            XCTAssertGreaterThan(gap, 1.5, "retry \(i) waited its interval")
            XCTAssertLessThan(gap, 3, "retry \(i) ran when it was due, not a minute later")
        }
        let row = try XCTUnwrap(try actionRows().first)
        XCTAssertEqual(row.status, "success")
        XCTAssertEqual(row.outputs["retry_times"]?.intValue, 3)
    }

    func testARetryThatComesDueWhileThePassIsBusy_runsOnTime() throws {
        let receiver = try startReceiver()
        try receiver.script(path: "/flaky", statuses: [500, 200])
        try receiver.script(path: "/slow", delay: 4)
        let pass = try lingeringPass(maxRuntime: 30)
        try tick(["enqueue", "-"], without: .now,
                 stdin: Actions.lines([Actions.webhook(url: receiver.baseURL + "/flaky", maxRetryTimes: 1, retryInterval: 2)]))
        usleep(700_000)
        // Written while the retry waits: the pass wakes for it and is busy when the retry comes due.
        try tick(["enqueue", "-"], without: .now,
                 stdin: Actions.lines([Actions.webhook(url: receiver.baseURL + "/slow", requestTimeout: 10, alertId: "slow")]))
        try waitUntil("the retry", timeout: 15) { try receiver.requests().filter { $0["path"] == "/flaky" }.count >= 2 }
        stop(pass)
        let flaky = try receiver.requests().filter { $0["path"] == "/flaky" }.compactMap { $0["time"]?.doubleValue }
        XCTAssertEqual(flaky.count, 2)
        guard flaky.count == 2 else { return }
        XCTAssertLessThan(flaky[1] - flaky[0], 3, "the retry ran when due, while the slow request was still in flight")
    }

    func testAJobTask_isPolledToTheEnd_withinOnePass() throws {
        let bk = try startBK()
        try writeConfig("""
            job: {url: "\(bk.url)/job", site_url: "http://job.example", app_code: fta, app_secret: s3cr3t-job}
            """)
        try bk.configure(["job_states": [2, 2, 3]])
        let job: JSONValue = [
            "signal": "abnormal", "strategy_id": 7, "bk_biz_id": "2", "alerts": ["a1"],
            "alert": ["id": "a1", "severity": 1, "event": ["bk_cloud_id": 0, "ip": "10.0.0.9"]],
            "action_plugin": ["plugin_type": "job", "plugin_key": "job"],
            "action_config": ["id": 9, "name": "restart nginx", "execute_config": ["template_id": 1001, "template_detail": ["1000_3": "10.0.0.1"]]],
            "assignee": ["alice"],
        ]
        try tick(["enqueue", "-"], without: .now, stdin: Actions.lines([job]))
        let started = Date()
        let pass = try lingeringPass(maxRuntime: 30)
        try waitUntil("the job to finish", timeout: 20) { try self.actionRows().first?.status == "success" }
        XCTAssertLessThan(Date().timeIntervalSince(started), 15, "a start and three polls 2 s apart, all in this pass")
        stop(pass)
        XCTAssertEqual(try bk.requests().map { $0["path"]?.stringValue ?? "" },
                       ["/job/execute_job_plan/"] + Array(repeating: "/job/get_job_instance_status/", count: 3))
    }

    /// A row already due but held by a dead pass's lease: a lingering pass takes it over once
    /// the lease runs out, and not before.
    func testRowLeasedByADeadPass_isTakenOverWhenTheLeaseRunsOut() throws {
        try takeOver(movingDueAt: false)
    }

    /// The same for a row an fta before schema v14 leased, with `due_at` moved to the expiry:
    /// the pass wakes for it at that time.
    func testRowLeasedByAnOlderFta_isTakenOverWhenTheLeaseRunsOut() throws {
        try takeOver(movingDueAt: true)
    }

    private func takeOver(movingDueAt: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let receiver = try startReceiver()
        let id = ids(try tick(["enqueue", "-"], without: .now, stdin: Actions.lines([Actions.webhook(url: receiver.baseURL + "/taken")])))[0]
        let expiry = Int64(Date().timeIntervalSince1970) + 3
        try DatabaseTamper.leaseToDeadWorker(db, ids: [id], until: expiry, movingDueAt: movingDueAt)
        let pass = try lingeringPass(maxRuntime: 30)
        try waitUntil("the row to be taken over", timeout: 15) { try self.actionRows().first?.status == "success" }
        let doneAt = Date().timeIntervalSince1970
        stop(pass)
        XCTAssertGreaterThanOrEqual(doneAt, Double(expiry), "not before the lease ran out", file: file, line: line)
        XCTAssertLessThan(doneAt, Double(expiry) + 5, "woken when the lease ran out", file: file, line: line)
        XCTAssertEqual(try receiver.requests().count, 1, file: file, line: line)
    }

    func testSIGTERMWhileWaiting_exitsWithinASecond_andLeavesNoClaim() throws {
        let receiver = try startReceiver()
        // Something due later keeps the pass sleeping on a known due time.
        let later = Actions.webhook(url: receiver.baseURL + "/later", extra: ["due_at": .int(Int64(Date().timeIntervalSince1970) + 3600)])
        try tick(["enqueue", "-"], without: .now, stdin: Actions.lines([later]))
        let pass = try lingeringPass(maxRuntime: 60)
        usleep(500_000)
        XCTAssertLessThan(stop(pass), 1)
        let s = try status()
        XCTAssertEqual(s["leased_now"]?.intValue, 0, "no claim left behind")
        XCTAssertEqual(try actionRows().first?.leaseOwner, nil)
        XCTAssertTrue(try receiver.requests().isEmpty)
    }

    func testTwoLingeringPasses_runEveryActionExactlyOnce() throws {
        let receiver = try startReceiver()
        let a = try lingeringPass(maxRuntime: 40, extra: ["--worker-id", "a", "--concurrency", "4"])
        let b = try start("fta-tick", ["run", "--linger", "--max-runtime", "40", "--log-level", "warning", "--worker-id", "b", "--concurrency", "4"], without: .now)
        try waitUntil("both passes registered", timeout: 10) { (try self.status()["passes"]?.arrayValue ?? []).count == 2 }
        // Three bursts written while both wait.
        for burst in 0..<3 {
            let lines = (0..<100).map { Actions.webhook(url: receiver.baseURL + "/w\(burst)-\($0)", alertId: "b\(burst)-\($0)") }
            try tick(["enqueue", "-"], without: .now, stdin: Actions.lines(lines))
            usleep(200_000)
        }
        try waitUntil("300 deliveries", timeout: 20) { try receiver.requests().count >= 300 }
        usleep(500_000)
        stop(a)
        stop(b)
        let paths = try receiver.requests().compactMap { $0["path"]?.stringValue }
        XCTAssertEqual(paths.count, 300, "no action sent twice")
        XCTAssertEqual(Set(paths).count, 300, "every action sent")
        XCTAssertEqual(Set(try actionRows().map(\.status)), ["success"])
    }

    func testLingeringExport_sendsNewChangesWithinAboutASecond() throws {
        let es = try startES()
        let receiver = try startReceiver()
        try writeConfig("""
            elasticsearch:
              url: \(es.url)
            """)
        let sync = try start("fta-sync", ["--linger", "--max-runtime", "30", "--log-level", "warning"], without: .now)
        usleep(500_000)
        try tick(["enqueue", "-"], without: .now, stdin: Actions.lines([Actions.webhook(url: receiver.baseURL + "/hook", alertId: "e1")]))
        let finished = Date()
        try tick(["run"], without: .now)
        try waitUntil("the document", timeout: 10) { try es.documents().count == 1 }
        XCTAssertLessThan(Date().timeIntervalSince(finished), 3, "exported by the lingering export, not the next run")
        let doc = try XCTUnwrap(try es.documents().values.first)
        XCTAssertEqual(doc.source["status"], "success")
        let sent = Date()
        kill(sync.process.processIdentifier, SIGTERM)
        sync.process.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(sent), 1)
        XCTAssertEqual(sync.process.terminationStatus, 0)
    }
}
