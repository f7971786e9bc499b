import Foundation
import FTACore
import FTATestSupport
import XCTest

/// fta-tick as a user runs it: real binaries, a temporary database, a real HTTP receiver.
final class TickEndToEndTests: EndToEndCase {
    var receiver: Receiver!

    override func setUpWithError() throws {
        try super.setUpWithError()
        receiver = try startReceiver()
    }

    /// Enqueues `actions` from a file; returns their ids.
    func enqueue(_ actions: [JSONValue], now: Int64? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> [Int64] {
        let input = try dir.write("in-\(UUID().uuidString).jsonl", Actions.lines(actions))
        return ids(try tick(["enqueue", input], at: now, file: file, line: line))
    }

    /// A pass with `--json`: its result and its report.
    @discardableResult
    func pass(now: Int64? = nil, _ args: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> (CommandResult, JSONValue) {
        let r = try tick(["run", "--json"] + args, at: now, file: file, line: line)
        return (r, (try? json(r)) ?? .null)
    }

    func show(_ id: Int64, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        try json(tick(["show", "--json", "\(id)"], without: .now, file: file, line: line))
    }

    /// The status long after every action was due.
    func status(file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        try json(tick(["status", "--json"], at: t0 + 1_000_000, file: file, line: line))
    }

    /// How many requests each action id produced (the body carries the action id).
    func receivedCounts() throws -> [Int64: Int] {
        var counts: [Int64: Int] = [:]
        for req in try receiver.requests() {
            guard let body = req["body"]?.stringValue, let json = try? JSONParser.parse(body),
                  let id = json["action"]?.intValue else { continue }
            counts[id, default: 0] += 1
        }
        return counts
    }

    // MARK: Volume

    func testOnePass_over1000Webhooks_receivesEachOnce_allSuccess_executeTimesOne() throws {
        let url = receiver.baseURL + "/hook"
        let ids = try enqueue((0..<1000).map { Actions.webhook(url: url, alertId: "a\($0)") })
        XCTAssertEqual(ids.count, 1000)
        let (_, report) = try pass(["--concurrency", "16"])
        XCTAssertEqual(report["succeeded"]?.intValue, 1000)
        let counts = try receivedCounts()
        XCTAssertEqual(counts.count, 1000)
        XCTAssertEqual(Set(counts.keys), Set(ids))
        XCTAssertTrue(counts.values.allSatisfy { $0 == 1 }, "an action was received more than once")
        let s = try status()
        XCTAssertEqual(s["by_status"]?["success"]?.intValue, 1000)
        XCTAssertEqual(s["total"]?.intValue, 1000)
        let row = try show(ids[500])["action"]!
        XCTAssertEqual(row["execute_times"]?.intValue, 1)
        XCTAssertEqual(row["status"]?.stringValue, "success")
        let notOnce = try actionRows().filter { $0.executeTimes != 1 || $0.status != "success" }.count
        XCTAssertEqual(notOnce, 0, "every one of the 1,000 rows: success after exactly one execution")
    }

    func testFourPassesStartedTogether_over2000Actions_receiveEachOnce_withoutLockErrors() throws {
        let url = receiver.baseURL + "/hook"
        let ids = try enqueue((0..<2000).map { Actions.webhook(url: url, alertId: "a\($0)") })
        XCTAssertEqual(ids.count, 2000)
        let passes = try (0..<4).map { i in
            try start("fta-tick", ["run", "--json", "--batch", "100", "--concurrency", "8", "--worker-id", "w\(i)"])
        }
        var claimedTotal = 0
        for p in passes {
            let err = String(decoding: p.stderrPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let out = String(decoding: p.stdoutPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.process.waitUntilExit()
            XCTAssertEqual(p.process.terminationStatus, 0, err)
            XCTAssertFalse(err.contains("locked"), err)
            claimedTotal += Int((try JSONParser.parse(out))["claimed"]?.intValue ?? 0)
        }
        XCTAssertEqual(claimedTotal, 2000, "each action claimed by exactly one pass")
        let counts = try receivedCounts()
        XCTAssertEqual(counts.count, 2000)
        XCTAssertTrue(counts.values.allSatisfy { $0 == 1 }, "an action was received more than once")
        XCTAssertEqual(try status()["by_status"]?["success"]?.intValue, 2000)
    }

    // MARK: Retries

    func testRetry_500_500_200_withMaxRetryTimesTwo_makesThreeRequests_andSucceeds() throws {
        try receiver.script(path: "/flaky", statuses: [500, 500, 200])
        let id = try enqueue([Actions.webhook(url: receiver.baseURL + "/flaky", maxRetryTimes: 2, retryInterval: 60)])[0]
        try pass(now: t0)
        var row = try show(id)["action"]!
        XCTAssertEqual(row["status"]?.stringValue, "running")
        XCTAssertEqual(row["due_at"]?.intValue, t0 + 60, "retry_interval is honoured")
        try pass(now: t0 + 30)  // not due yet
        XCTAssertEqual(try receiver.requests().count, 1)
        try pass(now: t0 + 60)
        try pass(now: t0 + 120)
        try pass(now: t0 + 180)  // nothing left
        XCTAssertEqual(try receiver.requests().count, 3)
        row = try show(id)["action"]!
        XCTAssertEqual(row["status"]?.stringValue, "success")
        XCTAssertEqual(row["execute_times"]?.intValue, 3)
        XCTAssertEqual(row["outputs"]?["retry_times"]?.intValue, 3)
    }

    func testRetry_withMaxRetryTimesOne_makesTwoRequests_andFailsWithTheStatusCode() throws {
        try receiver.script(path: "/down", statuses: [500, 500, 500], body: "backend exploded")
        let id = try enqueue([Actions.webhook(url: receiver.baseURL + "/down", maxRetryTimes: 1, retryInterval: 60)])[0]
        for k in 0..<4 { try pass(now: t0 + Int64(k) * 60) }
        XCTAssertEqual(try receiver.requests().count, 2)
        let row = try show(id)["action"]!
        XCTAssertEqual(row["status"]?.stringValue, "failure")
        let message = row["ex_data"]?["message"]?.stringValue ?? ""
        XCTAssertTrue(message.contains("status_code: 500"), message)
        XCTAssertTrue(message.contains("backend exploded"), message)
    }

    func testRetryAfter_on429_isHonouredToo() throws {
        try receiver.script(path: "/limited", statuses: [429], headers: ["Retry-After": "120"])
        let id = try enqueue([Actions.webhook(url: receiver.baseURL + "/limited", maxRetryTimes: 1, retryInterval: 10)])[0]
        try pass(now: t0)
        let row = try show(id)["action"]!
        XCTAssertEqual(row["due_at"]?.intValue, t0 + 120)
        XCTAssertTrue(row["ex_data"]?["message"]?.stringValue?.contains("429") ?? false, "\(row["ex_data"]!)")
        try pass(now: t0 + 119)
        XCTAssertEqual(try receiver.requests().count, 1)
        try pass(now: t0 + 120)
        XCTAssertEqual(try show(id)["action"]!["status"]?.stringValue, "success")
    }

    func testRetryAfter_on503_isHonouredOverAShorterInterval() throws {
        try receiver.script(path: "/busy", statuses: [503], headers: ["Retry-After": "300"])
        let id = try enqueue([Actions.webhook(url: receiver.baseURL + "/busy", maxRetryTimes: 1, retryInterval: 10)])[0]
        try pass(now: t0)
        XCTAssertEqual(try show(id)["action"]!["due_at"]?.intValue, t0 + 300)
        try pass(now: t0 + 299)
        XCTAssertEqual(try receiver.requests().count, 1)
        try pass(now: t0 + 300)
        XCTAssertEqual(try show(id)["action"]!["status"]?.stringValue, "success")
    }

    // MARK: Timeouts

    func testReceiverSlowerThanRequestTimeout_failsNamingTheTimeout() throws {
        try receiver.script(path: "/slow", delay: 3)
        let id = try enqueue([Actions.webhook(url: receiver.baseURL + "/slow", requestTimeout: 1)])[0]
        try pass()
        let row = try show(id)["action"]!
        XCTAssertEqual(row["status"]?.stringValue, "failure")
        let message = row["ex_data"]?["message"]?.stringValue ?? ""
        XCTAssertTrue(message.contains("timeout"), message)
        XCTAssertTrue(message.contains("1s"), message)
    }

    func testActionPastItsDeadline_failsWithTimeout_andTerminalRowsAreNeverOverwritten() throws {
        try receiver.script(path: "/retry", statuses: [500, 500, 500])
        let url = receiver.baseURL
        let ids = try enqueue([
            Actions.webhook(url: url + "/retry", maxRetryTimes: 5, retryInterval: 3600, timeout: 600),
            Actions.webhook(url: url + "/ok", timeout: 600),
        ])
        try pass(now: t0)
        XCTAssertEqual(try show(ids[0])["action"]!["status"]?.stringValue, "running")
        XCTAssertEqual(try show(ids[1])["action"]!["status"]?.stringValue, "success")
        try pass(now: t0 + 601)
        let timedOut = try show(ids[0])["action"]!
        XCTAssertEqual(timedOut["status"]?.stringValue, "failure")
        XCTAssertEqual(timedOut["failure_type"]?.stringValue, "timeout")
        XCTAssertTrue(timedOut["ex_data"]?["message"]?.stringValue?.contains("10 minutes") ?? false)
        let done = try show(ids[1])["action"]!
        XCTAssertEqual(done["status"]?.stringValue, "success")
        XCTAssertNil(done["failure_type"]?.stringValue)
        XCTAssertEqual(try receiver.requests().count, 2, "the timed-out action was not sent again")
    }

    // MARK: Crash safety

    /// A claim keeps the row's due time and passes over rows a live lease holds: `status` counts
    /// such a row as leased, not due; a pass leaves it alone until the lease runs out, then
    /// takes it over.
    func testRowDueButLeased_isLeftAlone_countedAsLeased_andTakenWhenTheLeaseRunsOut() throws {
        let ids = try enqueue((0..<3).map { Actions.webhook(url: receiver.baseURL + "/hook", alertId: "a\($0)") }, now: t0)
        try DatabaseTamper.leaseToDeadWorker(db, ids: [ids[0]], until: t0 + 100)
        let before = try json(tick(["status", "--json"], at: t0 + 10))
        XCTAssertEqual(before["due_now"], 2)
        XCTAssertEqual(before["leased_now"], 1)
        XCTAssertEqual(before["oldest_due_age_seconds"], 10)
        try pass(now: t0 + 10)
        XCTAssertEqual(Set(try receivedCounts().keys), Set(ids[1...]), "the leased row is not sent")
        let held = try show(ids[0])["action"]
        XCTAssertEqual(held?["status"], "received")
        XCTAssertEqual(held?["due_at"]?.intValue, t0, "its due time is kept")
        let during = try json(tick(["status", "--json"], at: t0 + 50))
        XCTAssertEqual(during["due_now"], 0)
        XCTAssertEqual(during["leased_now"], 1)
        let (_, report) = try pass(now: t0 + 100)
        XCTAssertEqual(report["expired_leases"], 1)
        // It came due again when the lease ran out, not at its first due time.
        XCTAssertLessThan(try XCTUnwrap(report["start_delay_p99"]?.doubleValue), 1, "\(report)")
        XCTAssertEqual(try receivedCounts(), [ids[0]: 1, ids[1]: 1, ids[2]: 1])
        XCTAssertEqual(try show(ids[0])["action"]?["status"], "success")
    }

    func testPassKilledMidRun_nextPassAfterLeaseExpiry_completesEveryAction() throws {
        try receiver.script(path: "/slow", delay: 0.05)
        let ids = try enqueue((0..<120).map { Actions.webhook(url: receiver.baseURL + "/slow", alertId: "a\($0)") }, now: t0)
        let killed = try start("fta-tick", ["run", "--concurrency", "4", "--batch", "50", "--lease", "60"])
        // Let it record some outcomes, then kill it without warning.
        let deadline = Date().addingTimeInterval(20)
        while try receiver.requests().count < 30 && Date() < deadline { usleep(20_000) }
        kill(killed.process.processIdentifier, SIGKILL)
        killed.process.waitUntilExit()
        let receivedBeforeKill = Set(try receivedCounts().keys)
        XCTAssertLessThan(receivedBeforeKill.count, 120, "the pass was killed before it finished")
        // What the killed pass still held: claimed, and sent or not, but with no outcome recorded.
        let held = Set(try actionRows().filter { $0.leaseOwner != nil && $0.dueAt != nil }.map(\.id))
        XCTAssertFalse(held.isEmpty)

        // Leases still live: a pass now runs none of what the killed pass held.
        try pass(now: t0 + 1, ["--concurrency", "8"])
        XCTAssertTrue(Set(try receivedCounts().filter { $0.value > 1 }.keys).isEmpty, "nothing re-sent while the leases were live")
        // After the lease expired, the next pass completes everything, and says which it took over.
        let (_, resumed) = try pass(now: t0 + 61, ["--concurrency", "8"])
        XCTAssertEqual(resumed["expired_leases"]?.intValue, Int64(held.count))
        let s = try status()
        XCTAssertEqual(s["by_status"]?["success"]?.intValue, 120)
        let counts = try receivedCounts()
        XCTAssertEqual(Set(counts.keys), Set(ids), "no action lost")
        let twice = Set(counts.filter { $0.value > 1 }.keys)
        XCTAssertTrue(twice.isSubset(of: held.intersection(receivedBeforeKill)),
                      "only actions in flight at the kill (held, sent, not recorded) were received twice: \(twice.subtracting(held))")
        XCTAssertTrue(counts.values.allSatisfy { $0 <= 2 })
    }

    func testSlowAction_keepsItsLeaseRenewed_soASecondPassCannotTakeItOver() throws {
        // Real clock: renewal only means something when time moves.
        try receiver.script(path: "/slow", delay: 4)
        let line = Actions.webhook(url: receiver.baseURL + "/slow", requestTimeout: 10)
        let file = try dir.write("slow.jsonl", Actions.lines([line]))
        try tick(["enqueue", file], without: .now)
        let first = try start("fta-tick", ["run", "--lease", "2", "--json"], without: .now)
        sleep(3)  // past the first lease: without renewal the row would be due again now
        let second = try tick(["run", "--lease", "2", "--json"], without: .now, expect: nil)
        XCTAssertEqual(try json(second)["claimed"]?.intValue, 0, second.stderr)
        first.process.waitUntilExit()
        XCTAssertEqual(first.process.terminationStatus, 0)
        XCTAssertEqual(try receiver.requests().count, 1, "the slow action was sent once")
        XCTAssertEqual(try show(1)["action"]!["status"]?.stringValue, "success")
    }

    func testSIGTERM_releasesUnstartedActions_andFinishesThoseInFlight() throws {
        try receiver.script(path: "/slow", delay: 0.5)
        _ = try enqueue((0..<40).map { Actions.webhook(url: receiver.baseURL + "/slow", alertId: "a\($0)") }, now: t0)
        let p = try start("fta-tick", ["run", "--concurrency", "2", "--batch", "40", "--json"])
        let deadline = Date().addingTimeInterval(10)
        while try receiver.requests().count < 2 && Date() < deadline { usleep(20_000) }
        kill(p.process.processIdentifier, SIGTERM)
        let out = String(decoding: p.stdoutPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.process.waitUntilExit()
        XCTAssertEqual(p.process.terminationStatus, 0)
        let report = try JSONParser.parse(out)
        let done = (report["succeeded"]?.intValue ?? 0)
        XCTAssertGreaterThanOrEqual(done, 2, "actions in flight at the signal were finished and recorded")
        XCTAssertEqual(done + (report["released"]?.intValue ?? 0), 40, "everything claimed was either finished or given back")
        let s = try json(tick(["status", "--json"], expect: nil))
        XCTAssertEqual(s["leased_now"]?.intValue, 0, "no lease left behind")
        XCTAssertEqual(s["due_now"]?.intValue, 40 - done)
        XCTAssertEqual(try receiver.requests().count, Int(done), "nothing sent and left unrecorded")
    }

    // MARK: Webhook semantics

    func testWebhook_rendersTemplates_sendsMethodHeadersQueryAuthAndIdempotencyKey() throws {
        let line = Actions.webhook(url: receiver.baseURL + "/biz/{{ action.bk_biz_id }}", method: "PUT", extra: ["strategy": ["name": "cpu high"]], detail: [
            "headers": [["key": "X-Alert", "value": "{{ alert.id }}", "is_enabled": true], ["key": "X-Off", "value": "no", "is_enabled": false]],
            "query_params": [["key": "strategy", "value": "{{ strategy.name }}"]],
            "authorize": ["auth_type": "bearer_token", "auth_config": ["token": "tok-123"]],
        ])
        let id = try enqueue([line])[0]
        try pass()
        let reqs = try receiver.requests()
        XCTAssertEqual(reqs.count, 1)
        let r = reqs[0]
        XCTAssertEqual(r["method"]?.stringValue, "PUT")
        XCTAssertEqual(r["path"]?.stringValue, "/biz/2")
        XCTAssertEqual(r["query"]?.stringValue, "strategy=cpu%20high")
        XCTAssertEqual(r["headers"]?["x-alert"]?.stringValue, "a1")
        XCTAssertNil(r["headers"]?["x-off"])
        XCTAssertEqual(r["headers"]?["authorization"]?.stringValue, "Bearer tok-123")
        XCTAssertEqual(r["headers"]?["content-type"]?.stringValue, "application/json")
        let created = try show(id)["action"]!["create_time"]!.intValue!
        XCTAssertEqual(r["headers"]?["idempotency-key"]?.stringValue, "fta-\(created)\(id)-execute-1")
        let body = try JSONParser.parse(r["body"]!.stringValue!)
        XCTAssertEqual(body["alert"]?.stringValue, "a1")
        XCTAssertEqual(body["action"]?.stringValue, "\(id)")
    }

    func testWebhook_formBodies_andBasicAuth() throws {
        let url = receiver.baseURL
        _ = try enqueue([
            Actions.webhook(url: url + "/urlencoded", detail: [
                "body": ["data_type": "x_www_form_urlencoded", "params": [["key": "alert", "value": "{{ alert.id }}"], ["key": "note", "value": "a b&c"]]],
                "authorize": ["auth_type": "basic_auth", "auth_config": ["username": "ops", "password": "pw"]],
            ]),
            Actions.webhook(url: url + "/multipart", detail: ["body": ["data_type": "form_data", "params": [["key": "level", "value": "{{ action.alert_level }}"]]]]),
            Actions.webhook(url: url + "/text", detail: ["body": ["data_type": "raw", "content_type": "text", "content": "alert {{ alert.id }} fired"]]),
        ])
        try pass()
        var byPath: [String: JSONValue] = [:]
        for r in try receiver.requests() { byPath[r["path"]!.stringValue!] = r }
        XCTAssertEqual(byPath["/urlencoded"]?["body"]?.stringValue, "alert=a1&note=a%20b%26c")
        XCTAssertEqual(byPath["/urlencoded"]?["headers"]?["authorization"]?.stringValue, "Basic " + Data("ops:pw".utf8).base64EncodedString())
        XCTAssertTrue(byPath["/multipart"]?["headers"]?["content-type"]?.stringValue?.hasPrefix("multipart/form-data; boundary=") ?? false)
        XCTAssertTrue(byPath["/multipart"]?["body"]?.stringValue?.contains("name=\"level\"\r\n\r\n3\r\n") ?? false)
        XCTAssertEqual(byPath["/text"]?["body"]?.stringValue, "alert a1 fired")
        XCTAssertEqual(byPath["/text"]?["headers"]?["content-type"]?.stringValue, "text/plain")
    }

    func testWebhook_htmlAndXMLBodies_haveTheirContentTypes() throws {
        _ = try enqueue([
            Actions.webhook(url: receiver.baseURL + "/html", detail: ["body": ["data_type": "raw", "content_type": "html", "content": "<b>{{ alert.id }}</b>"]]),
            Actions.webhook(url: receiver.baseURL + "/xml", detail: ["body": ["data_type": "raw", "content_type": "xml", "content": "<alert id=\"{{ alert.id }}\"/>"]]),
        ])
        try pass()
        var byPath: [String: JSONValue] = [:]
        for r in try receiver.requests() { byPath[r["path"]!.stringValue!] = r }
        XCTAssertEqual(byPath["/html"]?["body"]?.stringValue, "<b>a1</b>")
        XCTAssertEqual(byPath["/html"]?["headers"]?["content-type"]?.stringValue, "text/html")
        XCTAssertEqual(byPath["/xml"]?["body"]?.stringValue, "<alert id=\"a1\"/>")
        XCTAssertEqual(byPath["/xml"]?["headers"]?["content-type"]?.stringValue, "application/xml")
    }

    func testFailureMessage_quotesTheFirst200CharactersOfTheBody() throws {
        let body = String(repeating: "0123456789", count: 19) + "ABCDEFGHIJ" + "-and-more-that-is-cut"
        try receiver.script(path: "/long", statuses: [502], body: body)
        let id = try enqueue([Actions.webhook(url: receiver.baseURL + "/long")])[0]
        try pass()
        let row = try show(id)["action"]!
        XCTAssertEqual(row["status"]?.stringValue, "failure")
        let message = row["ex_data"]?["message"]?.stringValue ?? ""
        XCTAssertTrue(message.contains("status_code: 502"), message)
        XCTAssertTrue(message.contains(String(body.prefix(200)) + "..."), message)
        XCTAssertFalse(message.contains("-and-more"), message)
    }

    func testTemplateError_failsThatActionOnly_namingTheField() throws {
        let ids = try enqueue([
            Actions.webhook(url: receiver.baseURL + "/a", detail: ["headers": [["key": "X", "value": "{% if %}"]]]),
            Actions.webhook(url: receiver.baseURL + "/b"),
        ])
        try pass()
        let bad = try show(ids[0])["action"]!
        XCTAssertEqual(bad["status"]?.stringValue, "failure")
        XCTAssertTrue(bad["ex_data"]?["message"]?.stringValue?.contains("template_detail.headers.X") ?? false, "\(bad["ex_data"]!)")
        XCTAssertEqual(try show(ids[1])["action"]!["status"]?.stringValue, "success")
    }

    // MARK: Enqueue

    func testEnqueue_sameDedupeKeyTwice_storesOneRow_andReportsTheDuplicate() throws {
        let line = Actions.webhook(url: receiver.baseURL + "/x", extra: ["dedupe_key": "alert-a1-abnormal"])
        let file = try dir.write("d.jsonl", Actions.lines([line, line]))
        let out = try json(tick(["enqueue", "--json", file], without: .now))
        XCTAssertEqual(out["stored"]?.arrayValue?.count, 1)
        XCTAssertEqual(out["duplicates"]?.arrayValue?.count, 1)
        let r2 = try tick(["enqueue", file], without: .now)
        XCTAssertTrue(r2.stderr.contains("line 1: dedupe_key already stored as action 1"), r2.stderr)
        XCTAssertEqual(try status()["total"]?.intValue, 1)
    }

    func testEnqueue_dueAtInTheFuture_waitsUntilThen() throws {
        let id = try enqueue([Actions.webhook(url: receiver.baseURL + "/later", extra: ["due_at": .int(t0 + 3600)])], now: t0)[0]
        try pass(now: t0 + 10)
        XCTAssertEqual(try receiver.requests().count, 0)
        try pass(now: t0 + 3600)
        XCTAssertEqual(try show(id)["action"]!["status"]?.stringValue, "success")
    }

    // MARK: Operator commands

    func testRetrySkipStatusAndMetrics() throws {
        try receiver.script(path: "/fail", statuses: [500])
        let ids = try enqueue([
            Actions.webhook(url: receiver.baseURL + "/fail"),
            Actions.webhook(url: receiver.baseURL + "/later", extra: ["due_at": .int(t0 + 3600)]),
        ], now: t0)
        let metrics = dir.file("fta.prom")
        try pass(now: t0, ["--metrics-file", metrics])
        let prom = try String(contentsOfFile: metrics, encoding: .utf8)
        XCTAssertTrue(prom.contains("fta_tick_actions_failed{plugin_type=\"webhook\"} 1"), prom)
        XCTAssertTrue(prom.contains("fta_queue_depth{status=\"received\"} 1"), prom)
        XCTAssertTrue(prom.contains("# TYPE fta_tick_pass_duration_seconds gauge"), prom)

        let s = try json(tick(["status", "--json"], at: t0 + 10, expect: nil))
        XCTAssertEqual(s["by_status"]?["failure"]?.intValue, 1)
        XCTAssertEqual(s["scheduled_later"]?.intValue, 1)
        XCTAssertEqual(s["due_now"]?.intValue, 0)

        // retry: the failed one runs again; the live one is refused (exit 1).
        let retry = try tick(["retry", "\(ids[0])", "\(ids[1])", "999"], at: t0 + 20, expect: 1)
        XCTAssertTrue(retry.stdout.contains("\(ids[0]) queued for retry"), retry.stdout)
        XCTAssertTrue(retry.stdout.contains("\(ids[1]) refused: still in progress"), retry.stdout)
        XCTAssertTrue(retry.stdout.contains("999 not found"), retry.stdout)
        try pass(now: t0 + 20)
        XCTAssertEqual(try show(ids[0])["action"]!["status"]?.stringValue, "success")

        try tick(["skip", "--reason", "handled by hand", "\(ids[1])"], at: t0 + 30)
        let skipped = try show(ids[1])
        XCTAssertEqual(skipped["action"]?["status"]?.stringValue, "skipped")
        XCTAssertTrue(skipped["action"]?["ex_data"]?["message"]?.stringValue?.contains("handled by hand") ?? false)
        XCTAssertTrue(skipped["log"]?.arrayValue?.contains { $0["step"]?.stringValue == "skip" } ?? false)
        try pass(now: t0 + 4000)
        XCTAssertEqual(try receiver.requests().filter { $0["path"]?.stringValue == "/later" }.count, 0, "a skipped action never runs")
    }

    func testStatusAndMetrics_countByPlugin_andReportTheOldestDueAction() throws {
        try receiver.script(path: "/flaky", statuses: [500, 200])
        _ = try enqueue([
            Actions.webhook(url: receiver.baseURL + "/ok"),
            Actions.webhook(url: receiver.baseURL + "/flaky", maxRetryTimes: 1, retryInterval: 60),
            Actions.webhook(url: receiver.baseURL + "/ok2", extra: ["due_at": .int(t0 + 30)]),
        ], now: t0)
        // Before any pass: three due, the oldest waiting 90 s.
        let before = try json(tick(["status", "--json"], at: t0 + 90, expect: nil))
        XCTAssertEqual(before["due_now"]?.intValue, 3)
        XCTAssertEqual(before["leased_now"]?.intValue, 0)
        XCTAssertEqual(before["oldest_due_age_seconds"]?.intValue, 90)
        let text = try tick(["status"], at: t0 + 90, expect: nil).stdout
        XCTAssertTrue(text.contains("oldest due age:   90 s"), text)

        let metrics = dir.file("fta.prom")
        try pass(now: t0 + 90, ["--metrics-file", metrics])
        let prom = try String(contentsOfFile: metrics, encoding: .utf8)
        for sample in ["fta_tick_actions_claimed{plugin_type=\"webhook\"} 3", "fta_tick_actions_succeeded{plugin_type=\"webhook\"} 2",
                       "fta_tick_actions_retried{plugin_type=\"webhook\"} 1", "fta_tick_actions_failed{plugin_type=\"webhook\"} 0",
                       "fta_queue_depth{status=\"running\"} 1", "fta_queue_due 0", "fta_queue_oldest_due_age_seconds 0",
                       "fta_tick_outcomes_lost 0", "fta_tick_pass_timestamp_seconds \(t0 + 90)"] {
            XCTAssertTrue(prom.split(separator: "\n").contains { $0 == sample }, "\(sample) in\n\(prom)")
        }
        // Written atomically: the file and nothing else (no temporary file left behind).
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("fta.prom") }, ["fta.prom"])

        let after = try json(tick(["status", "--json"], at: t0 + 90, expect: nil))
        XCTAssertEqual(after["due_now"]?.intValue, 0)
        XCTAssertEqual(after["oldest_due_age_seconds"], .null)
        XCTAssertEqual(after["scheduled_later"]?.intValue, 1, "the retry, due at t0 + 150")
    }

    func testRetryAndSkip_printJSONResults() throws {
        try receiver.script(path: "/fail", statuses: [500])
        let ids = try enqueue([Actions.webhook(url: receiver.baseURL + "/fail"), Actions.webhook(url: receiver.baseURL + "/x", extra: ["due_at": .int(t0 + 3600)])], now: t0)
        try pass(now: t0)
        let retry = try tick(["retry", "--json", "\(ids[0])", "\(ids[1])"], at: t0 + 5, expect: 1)   // one id was refused
        XCTAssertEqual(try json(retry), [["id": .int(ids[0]), "result": "done"],
                                                             ["id": .int(ids[1]), "result": "refused", "reason": "still in progress (status received)"]])
        let skip = try tick(["skip", "--json", "--reason", "dup", "\(ids[1])", "424242"], at: t0 + 6, expect: 1)   // one id was not found
        XCTAssertEqual(try json(skip), [["id": .int(ids[1]), "result": "done"], ["id": 424242, "result": "not_found"]])
    }

    // MARK: Fencing

    func testOperatorSkipsAnActionInFlight_thePassCannotOverwriteIt() throws {
        try receiver.script(path: "/slow", delay: 2)
        let id = try enqueue([Actions.webhook(url: receiver.baseURL + "/slow")], now: t0)[0]
        let running = try start("fta-tick", ["run", "--json"])
        // Once the request is in flight, the operator skips the action: its lease token moves on.
        let deadline = Date().addingTimeInterval(10)
        while try receiver.requests().isEmpty && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(try receiver.requests().count, 1)
        try tick(["skip", "--reason", "handled by hand", "\(id)"], at: t0 + 1)
        running.process.waitUntilExit()
        XCTAssertEqual(running.process.terminationStatus, 0)
        let report = try JSONParser.parse(String(decoding: running.stdoutPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        XCTAssertEqual(report["lost"]?.intValue, 1, "the pass's outcome was discarded")
        XCTAssertEqual(report["succeeded"]?.intValue, 0)
        let row = try show(id)
        XCTAssertEqual(row["action"]?["status"]?.stringValue, "skipped", "the newer status stands")
        XCTAssertEqual(row["action"]?["execute_times"]?.intValue, 0)
        XCTAssertFalse(row["log"]?.arrayValue?.contains { $0["step"]?.stringValue == "execute" } ?? true, "no outcome of the fenced-out worker was logged")
    }

    // MARK: Logs

    func testLogFormatJSON_writesOneJSONObjectPerLine_perOutcomeAndPerPass() throws {
        try receiver.script(path: "/bad", statuses: [500])
        _ = try enqueue([Actions.webhook(url: receiver.baseURL + "/ok"), Actions.webhook(url: receiver.baseURL + "/bad")])
        let (run, _) = try pass(now: t0, ["--log-format", "json"])
        let lines = run.stderr.split(separator: "\n").map(String.init)
        let objects = try lines.map { try JSONParser.parse($0) }
        XCTAssertTrue(objects.allSatisfy { $0["time"]?.stringValue != nil && $0["level"]?.stringValue != nil })
        let outcomes = objects.filter { $0["action"] != nil }
        XCTAssertEqual(outcomes.count, 2, run.stderr)
        XCTAssertEqual(Set(outcomes.compactMap { $0["status"]?.stringValue }), ["success", "failure"])
        let summary = objects.filter { $0["message"]?.stringValue == "pass done" }
        XCTAssertEqual(summary.count, 1)
        XCTAssertEqual(summary.first?["claimed"]?.stringValue, "2")
    }

    // MARK: Secrets

    func testSecrets_neverAppearInLogsOrShow() throws {
        let password = "pw-S3cr3t-991", token = "tok-S3cr3t-772"
        try receiver.script(path: "/echo", statuses: [500], body: "denied for \(password)")
        try receiver.script(path: "/echo2", statuses: [500], body: "bad token \(token)")
        let ids = try enqueue([
            Actions.webhook(url: receiver.baseURL + "/echo", maxRetryTimes: 1, retryInterval: 60,
                            detail: ["authorize": ["auth_type": "basic_auth", "auth_config": ["username": "ops", "password": .string(password)]]]),
            Actions.webhook(url: receiver.baseURL + "/echo2", maxRetryTimes: 1, retryInterval: 60,
                            detail: ["authorize": ["auth_type": "bearer_token", "auth_config": ["token": .string(token)]]]),
        ])
        // Text logs on the first attempt, JSON logs on the retry.
        let (run, _) = try pass(now: t0, ["--log-level", "debug"])
        let (retried, _) = try pass(now: t0 + 60, ["--log-format", "json", "--log-level", "debug"])
        XCTAssertTrue(retried.stderr.contains("denied for"), "the echoed body reached the JSON log: \(retried.stderr)")
        var everything = run.stderr + run.stdout + retried.stderr + retried.stdout
        for id in ids {
            for format in [["--json"], []] {
                let r = try tick(["show", "\(id)"] + format, without: .now, expect: nil)
                everything += r.stdout + r.stderr
            }
        }
        XCTAssertTrue(everything.contains("response not valid"), "the failures were shown")
        XCTAssertFalse(everything.contains(password), everything)
        XCTAssertFalse(everything.contains(token), everything)
        XCTAssertFalse(everything.contains(Data("ops:\(password)".utf8).base64EncodedString()))
    }

    // MARK: TLS

    func testTLS_certificatesAreVerified_unlessTheConfigOptsOut() throws {
        let cert = dir.file("cert.pem"), key = dir.file("key.pem")
        let openssl = try Binaries.runTool("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                                               "-days", "1", "-subj", "/CN=127.0.0.1"])
        try XCTSkipIf(openssl != 0, "openssl is needed to make a test certificate")
        let tls = try startReceiver(tls: (cert, key))
        let ids = try enqueue([
            Actions.webhook(url: tls.baseURL + "/verified"),
            Actions.webhook(url: tls.baseURL + "/insecure", detail: ["tls_verify": false]),
        ])
        try pass()
        let verified = try show(ids[0])["action"]!
        XCTAssertEqual(verified["status"]?.stringValue, "failure")
        XCTAssertTrue(verified["ex_data"]?["message"]?.stringValue?.lowercased().contains("certificate") ?? false, "\(verified["ex_data"]!)")
        XCTAssertEqual(try show(ids[1])["action"]!["status"]?.stringValue, "success")
    }

    // MARK: Runtime limit

    func testMaxRuntime_stopsClaiming_andReleasesUnstartedActions() throws {
        try receiver.script(path: "/slow", delay: 0.5)
        _ = try enqueue((0..<40).map { Actions.webhook(url: receiver.baseURL + "/slow", alertId: "a\($0)") }, now: t0)
        let (_, report) = try pass(now: t0, ["--concurrency", "2", "--batch", "40", "--max-runtime", "2"])
        let released = report["released"]?.intValue ?? 0
        XCTAssertGreaterThan(released, 0)
        let s = try json(tick(["status", "--json"], expect: nil))
        XCTAssertEqual(s["due_now"]?.intValue, Int64(released), "released actions are due again at once, with no lease")
        XCTAssertEqual(s["leased_now"]?.intValue, 0)
    }
}

extension Binaries {
    /// Runs a system tool quietly; returns its exit status.
    static func runTool(_ path: String, _ args: [String]) throws -> Int32 {
        guard FileManager.default.isExecutableFile(atPath: path) else { return 127 }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
