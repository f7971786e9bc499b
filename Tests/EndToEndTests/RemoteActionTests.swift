import Foundation
import FTACore
import FTATestSupport
import XCTest

/// JOB, SOPS and ITSM actions through the step engine, against stand-ins of their APIs
/// (Tests/Support/bk_fixture.py): one step per pass, polls on later passes (`--now`), outputs
/// and messages as the original's.
final class RemoteActionTests: EndToEndCase {
    var bk: BKFixture!

    override func setUpWithError() throws {
        try super.setUpWithError()
        bk = try startBK()
        try writeConfig("""
            job: {url: "\(bk.url)/job", site_url: "http://job.example", app_code: fta, app_secret: s3cr3t-job}
            sops: {url: "\(bk.url)/sops"}
            itsm: {url: "\(bk.url)/itsm", site_url: "http://itsm.example", v4_url: "\(bk.url)/itsm4", approval_service_id: 77}
            """)
    }

    func action(_ type: String, key: String? = nil, templateId: JSONValue = 1001, detail: [String: JSONValue] = [:],
                assignee: [String] = ["alice", "bob"], timeout: Int? = nil, retries: Int? = nil, alert: String = "a1",
                approval: Bool = false) -> JSONValue {
        var exec: [String: JSONValue] = ["template_id": templateId, "template_detail": .object(detail)]
        if let timeout { exec["timeout"] = .int(Int64(timeout)) }
        if let retries { exec["failed_retry"] = ["max_retry_times": .int(Int64(retries)), "retry_interval": 60] }
        var line: JSONValue = [
            "signal": "abnormal", "strategy_id": 7, "bk_biz_id": "2", "alerts": [.string(alert)],
            "alert": ["id": .string(alert), "severity": 1, "event": ["bk_cloud_id": 5, "ip": "10.0.0.9"]],
            "action_plugin": ["plugin_type": .string(type), "plugin_key": .string(key ?? type)],
            "action_config": ["id": 9, "name": "restart nginx", "execute_config": .object(exec)],
            "assignee": .array(assignee.map { .string($0) }),
        ]
        if approval { line = line.setting("need_approval", true) }
        return line
    }

    @discardableResult
    func enqueue(_ lines: [JSONValue], at t: Int64? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> [Int64] {
        ids(try tick(["enqueue", "-"], at: t, stdin: Actions.lines(lines), file: file, line: line))
    }

    @discardableResult
    func pass(at t: Int64, file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        try tick(["run"], at: t, file: file, line: line)
    }

    func row(_ id: Int64, file: StaticString = #filePath, line: UInt = #line) throws -> (status: String, nextStep: String, failureType: String, outputs: JSONValue, message: String) {
        let r = try actionRow(id, file: file, line: line)
        return (r.status, r.nextStep, r.failureType ?? "", r.outputs, r.exData["message"]?.stringValue ?? "")
    }

    func testJob_polledAcrossPasses_2_2_3_success_withInstanceAndURL() throws {
        try bk.configure(["job_states": [2, 2, 3]])
        let id = try enqueue([action("job", detail: ["1000_3": "0:10.0.0.1;10.0.0.2", "1001_1": "reason {{ alert.id }}"])])[0]
        try pass(at: t0)
        var r = try row(id)
        XCTAssertEqual(r.status, "running")
        XCTAssertEqual(r.nextStep, "schedule")
        XCTAssertEqual(r.outputs["job_instance_id"]?.intValue, 10001)
        XCTAssertEqual(r.outputs["url"], "http://job.example/api_execute/10001")
        // Polls: due 2 s after each step, one per pass.
        try pass(at: t0 + 1)
        XCTAssertEqual(try bk.requests().count, 1, "not due yet")
        for (i, t) in [t0 + 2, t0 + 4].enumerated() {
            try pass(at: t)
            r = try row(id)
            XCTAssertEqual(r.status, "running", "poll \(i + 1)")
            XCTAssertEqual(r.outputs["job_state"]?.intValue, 2)
        }
        try pass(at: t0 + 6)
        r = try row(id)
        XCTAssertEqual(r.status, "success")
        XCTAssertEqual(r.outputs["job_state"]?.intValue, 3)
        XCTAssertEqual(r.outputs["job_instance_id"]?.intValue, 10001)
        let calls = try bk.requests()
        XCTAssertEqual(calls.map { $0["path"]?.stringValue ?? "" }, ["/job/execute_job_plan/"] + Array(repeating: "/job/get_job_instance_status/", count: 3))
        let start = calls[0]["body"]!
        XCTAssertEqual(start["job_plan_id"], 1001)
        XCTAssertEqual(start["bk_biz_id"], 2)
        XCTAssertEqual(start["global_var_list"], [
            ["id": 1000, "server": ["ip_list": [["bk_cloud_id": 0, "ip": "10.0.0.1"], ["bk_cloud_id": 5, "ip": "10.0.0.2"]]]],
            ["id": 1001, "value": "reason a1"],
        ], "IPs with and without a cloud prefix (the alert's cloud by default); values rendered")
        XCTAssertEqual(calls[1]["query"]?["job_instance_id"], "10001")
        XCTAssertEqual(calls[0]["user"], "alice")
        let log = try database.log(id)
        XCTAssertEqual(log[0], "execute: create_task done; schedule in 2 s")
        XCTAssertEqual(log[1], "schedule: job_state 2 (running); schedule in 2 s")
        XCTAssertEqual(log[3], "schedule: round 1 finished: success: the task succeeded")
        XCTAssertEqual(log.count, 4, "one line per step: \(log)")
    }

    func testJob_endingInState4_failsNamingTheState() throws {
        try bk.configure(["job_states": [2, 4]])
        let id = try enqueue([action("job")])[0]
        for t in [t0, t0 + 2, t0 + 4] { try pass(at: t) }
        let r = try row(id)
        XCTAssertEqual(r.status, "failure")
        XCTAssertEqual(r.message, "schedule failed, the task ended with job_state 4 (failed)")
    }

    func testJob_neverFinishing_timesOutAtTheActionTimeoutNotBefore() throws {
        try bk.configure(["job_states": [2]])
        let id = try enqueue([action("job", timeout: 60)])[0]
        var t = t0
        while t < t0 + 58 {
            try pass(at: t)
            XCTAssertEqual(try row(id).status, "running", "at +\(t - t0) s")
            t += 4
        }
        try pass(at: t0 + 61)
        let r = try row(id)
        XCTAssertEqual(r.status, "failure")
        XCTAssertEqual(r.failureType, "timeout")
    }

    func testPermissionDeniedForTheFirstAssignee_theSecondIsUsed_noAssignees_fails() throws {
        try bk.configure(["deny_users": ["alice"], "job_states": [3]])
        let ids = try enqueue([action("job"), action("job", assignee: [], alert: "a2"), action("job", assignee: ["alice"], alert: "a3")])
        try pass(at: t0)
        XCTAssertEqual(try row(ids[0]).outputs["operator"], "bob")
        XCTAssertEqual(try bk.requests().filter { $0["path"] == "/job/execute_job_plan/" }.map { $0["user"]?.stringValue ?? "" }.sorted(), ["alice", "alice", "bob"],
                       "alice then bob for the first, alice alone for the third")
        try pass(at: t0 + 2)
        XCTAssertEqual(try row(ids[0]).status, "success")
        let empty = try row(ids[1])
        XCTAssertEqual(empty.status, "failure")
        XCTAssertEqual(empty.message, "executing create_task failed: assignee list empty")
        let denied = try row(ids[2])
        XCTAssertEqual(denied.status, "failure")
        XCTAssertEqual(denied.message, "API returned permission denied when executing create_task as assignees [alice]")
    }

    func testSops_createStartRunningFinished_success_andRevokedFails() throws {
        try bk.configure(["sops_states": ["RUNNING", "FINISHED"]])
        let id = try enqueue([action("sops", detail: ["${host}": "{{ alert.event.ip }}"])])[0]
        for t in [t0, t0 + 2, t0 + 4, t0 + 6] { try pass(at: t) }
        var r = try row(id)
        XCTAssertEqual(r.status, "success")
        XCTAssertEqual(r.outputs["task_id"]?.intValue, 10001)
        XCTAssertEqual(r.outputs["url"], "http://sops.example/taskflow/execute/10001/")
        let calls = try bk.requests()
        XCTAssertEqual(calls.map { $0["path"]?.stringValue ?? "" }, ["/sops/create_task/1001/2/", "/sops/start_task/10001/2/",
                                                                  "/sops/get_task_status/10001/2/", "/sops/get_task_status/10001/2/"])
        XCTAssertEqual(calls[0]["body"]?["constants"], ["${host}": "10.0.0.9"])
        XCTAssertEqual(calls[0]["body"]?["name"], "[FTA]-restart nginx")

        try bk.configure(["sops_states": ["REVOKED"]])
        let revoked = try enqueue([action("sops", key: "sops_common", alert: "a9")])[0]
        for t in [t0 + 10, t0 + 12, t0 + 14] { try pass(at: t) }
        r = try row(revoked)
        XCTAssertEqual(r.status, "failure")
        XCTAssertEqual(r.message, "schedule failed, the task ended with task_state REVOKED")
        XCTAssertEqual(try bk.requests().last { $0["path"]?.stringValue?.hasPrefix("/sops/create_task") == true }?["body"]?["template_source"], "common")
    }

    func testItsm_v4_ticketPolledUntilFinished_v2_too() throws {
        try bk.configure(["itsm4_states": ["running", "running", "finished"], "itsm_states": ["RUNNING", "FINISHED"]])
        let ids = try enqueue([action("common", key: "itsmv4", templateId: "restart_flow", detail: ["title": "restart {{ alert.id }}"]),
                               action("common", key: "itsm", templateId: 42, detail: ["title": "restart"], alert: "a2")])
        try pass(at: t0)
        XCTAssertEqual(try row(ids[0]).status, "running", "not marked done at creation")
        let v4 = try row(ids[0]).outputs
        XCTAssertEqual(v4["url"]?.stringValue, "http://itsm4.example/ticket/\(v4["id"]?.intValue ?? -1)")
        for t in stride(from: t0 + 2, through: t0 + 20, by: 5) { try pass(at: t) }
        XCTAssertEqual(try row(ids[0]).status, "success")
        XCTAssertEqual(try row(ids[1]).status, "success")
        let v2out = try row(ids[1]).outputs
        XCTAssertEqual(v2out["url"]?.stringValue, "http://itsm.example/#/ticket/detail?id=\(v2out["id"]?.intValue ?? -1)")
        XCTAssertEqual(v2out["sn"]?.stringValue, String(format: "NO2026%06d", v2out["id"]?.intValue ?? -1))
        let calls = try bk.requests()
        XCTAssertEqual(calls.filter { $0["path"] == "/itsm4/api/v1/ticket/detail/" }.count, 3)
        let create = calls.first { $0["path"] == "/itsm4/api/v1/ticket/create/" }!
        XCTAssertEqual(create["body"]?["form_data"], ["title": "restart a1"])
        XCTAssertEqual(create["body"]?["workflow_key"], "restart_flow")
        let v2 = calls.first { $0["path"] == "/itsm/create_ticket/" }!
        XCTAssertEqual(v2["body"]?["fields"], [["key": "title", "value": "restart"]])
        XCTAssertEqual(v2["body"]?["service_id"], 42)
    }

    func testFrameworkErrors_sameStepAgainAfter5s_upTo3Attempts() throws {
        try bk.configure(["job_states": [3]])
        let id = try enqueue([action("job")])[0]
        try pass(at: t0)
        try bk.configure(["fail_next": 2])
        try pass(at: t0 + 2)
        XCTAssertEqual(try row(id).nextStep, "schedule")
        try pass(at: t0 + 7)
        try pass(at: t0 + 12)
        let r = try row(id)
        XCTAssertEqual(r.status, "success", "third attempt of the poll got through")
        XCTAssertEqual(try bk.requests().filter { $0["path"] == "/job/execute_job_plan/" }.count, 1, "the job was not started twice")
    }

    func testApiError_retriedByThePolicy_thenFailureWithTheAPIsMessage_secretNowhere() throws {
        // The fixture refuses job_plan_id 0 with an API error (result false).
        let id = try enqueue([action("job", templateId: 0, retries: 1)])[0]
        let first = try pass(at: t0)
        let afterFirst = try row(id)
        XCTAssertEqual(afterFirst.status, "running", "retry due: \(afterFirst.message)")
        XCTAssertEqual(try bk.requests().count, 1)
        let second = try pass(at: t0 + 60)
        let r = try row(id)
        XCTAssertEqual(r.status, "failure")
        XCTAssertEqual(r.message, "API returned job_plan_id is required (code 1240002) when executing create_task as alice")
        XCTAssertEqual(try bk.requests().count, 2)
        for text in [first.stderr, second.stderr, try database.log(id).joined(separator: "\n"), r.outputs.jsonText] {
            XCTAssertFalse(text.contains("s3cr3t-job"), text)
        }
    }

    func testKilledPass_resumesAtTheRightStep_eachKind() throws {
        try bk.configure(["job_states": [2, 3], "sops_states": ["RUNNING", "FINISHED"], "itsm_states": ["RUNNING", "FINISHED"],
                          "itsm4_states": ["running", "finished"]])
        let kinds: [(String, String, String, String)] = [
            ("job", "job", "/job/execute_job_plan/", "/job/get_job_instance_status/"),
            ("sops", "sops", "/sops/create_task/1001/2/", "/sops/start_task/"),
            ("common", "itsm", "/itsm/create_ticket/", "/itsm/get_ticket_status/"),
            ("common", "itsmv4", "/itsm4/api/v1/ticket/create/", "/itsm4/api/v1/ticket/detail/"),
        ]
        for (n, (type, key, create, second)) in kinds.enumerated() {
            let base = t0 + Int64(n) * 1000
            let id = try enqueue([action(type, key: key, alert: "k\(n)")], at: base)[0]
            try pass(at: base)
            let step = try row(id).nextStep
            XCTAssertNotEqual(step, "execute", key)
            // A pass claimed the next step and died: the row stays leased until the lease runs out.
            try DatabaseTamper.leaseToDeadWorker(db, ids: [id], until: base + 100)
            let before = try bk.requests().count
            try pass(at: base + 10)
            XCTAssertEqual(try bk.requests().count, before, "\(key): leased by the dead pass")
            var t = base + 101
            while try row(id).status == "running", t < base + 200 {
                try pass(at: t)
                t += 5
            }
            XCTAssertEqual(try row(id).status, "success", key)
            let paths = try bk.requests().compactMap { $0["path"]?.stringValue }
            XCTAssertEqual(paths.filter { $0 == create }.count, 1, "\(key): created once")
            XCTAssertTrue(paths[before...].first?.hasPrefix(second) ?? false, "\(key): resumed at \(step): \(paths[before...])")
        }
    }

    // MARK: defense approval

    func testApproval_approved_thenTheActionRuns() throws {
        try bk.configure(["approval_states": ["RUNNING", "FINISHED"], "approve_result": true, "job_states": [3]])
        let id = try enqueue([action("job", approval: true)])[0]
        XCTAssertEqual(try row(id).status, "waiting")
        try pass(at: t0)
        var r = try row(id)
        XCTAssertEqual(r.status, "waiting")
        XCTAssertEqual(r.nextStep, "approve_poll")
        let ticket = try bk.requests().first { $0["path"] == "/itsm/create_ticket/" }!
        XCTAssertEqual(ticket["body"]?["service_id"], 77)
        XCTAssertEqual(ticket["body"]?["creator"], "fta-system")
        XCTAssertEqual(ticket["body"]?["fields"]?.arrayValue?.first { $0["key"] == "APPROVER" }?["value"], "alice,bob")
        XCTAssertEqual(ticket["body"]?["fields"]?.arrayValue?.first { $0["key"] == "title" }?["value"], "[defense approval] continue executing package【restart nginx】?")
        try pass(at: t0 + 30)
        XCTAssertEqual(try bk.requests().count, 1, "polled every 60 s")
        try pass(at: t0 + 60)
        XCTAssertEqual(try row(id).status, "waiting", "still RUNNING")
        try pass(at: t0 + 120)
        r = try row(id)
        XCTAssertNotEqual(r.status, "waiting", "approved")
        let lines = try database.log(id)
        XCTAssertTrue(lines.contains { $0.contains("approved (ticket NO2026") && $0.contains("by carol") }, lines.joined(separator: "\n"))
        for t in [t0 + 120, t0 + 122, t0 + 124] { try pass(at: t) }
        r = try row(id)
        XCTAssertEqual(r.status, "success")
        XCTAssertEqual(try bk.requests().filter { $0["path"] == "/job/execute_job_plan/" }.count, 1, "the JOB ran once, after the approval")
    }

    func testApproval_rejected_skipped_andUnanswered_skippedAfter30Minutes_ticketWithdrawn() throws {
        try bk.configure(["approval_states": ["FINISHED"], "approve_result": false, "approver": "dave"])
        let rejected = try enqueue([action("job", approval: true)])[0]
        try pass(at: t0)
        try pass(at: t0 + 60)
        let r = try row(rejected)
        XCTAssertEqual(r.status, "skipped")
        XCTAssertTrue(r.message.hasPrefix("approval rejected, approver dave"), r.message)
        XCTAssertEqual(try bk.requests().filter { $0["path"] == "/job/execute_job_plan/" }.count, 0)

        try bk.configure(["approval_states": ["RUNNING"]])
        let silent = try enqueue([action("job", alert: "a7", approval: true)])[0]
        var t = t0 + 100
        try pass(at: t)
        while t < t0 + 100 + 1740 {
            t += 60
            try pass(at: t)
            XCTAssertEqual(try row(silent).status, "waiting", "at +\(t - t0 - 100) s")
        }
        try pass(at: t0 + 100 + 1800)
        let s = try row(silent)
        XCTAssertEqual(s.status, "skipped")
        XCTAssertTrue(s.message.hasPrefix("approval not handled within 30 minutes"), s.message)
        let withdraw = try bk.requests().last { $0["path"] == "/itsm/operate_ticket/" }
        XCTAssertEqual(withdraw?["body"]?["action_type"], "WITHDRAW")
        XCTAssertEqual(try bk.requests().filter { $0["path"] == "/job/execute_job_plan/" }.count, 0)
    }
}
