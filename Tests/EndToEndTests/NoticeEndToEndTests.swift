import Foundation
import FTACore
import FTATestSupport
import XCTest

/// Notice parents and children through fta-tick: merged sends, per-receiver results, the
/// parent's aggregated status. The rows are the ones the creation stage makes.
final class NoticeEndToEndTests: EndToEndCase {
    var receiver: Receiver!
    var smtp: SMTPServer!

    override func setUpWithError() throws {
        try super.setUpWithError()
        receiver = try startReceiver()
        smtp = try startSMTP()
        try writeConfig("""
            channels:
              mail: {host: 127.0.0.1, port: \(smtp.port), security: none, from: fta@example.com}
              sms: {url: "\(receiver.baseURL)/sms", body: '{"phones": {{ receivers|tojson }}, "text": {{ content|tojson }}}'}
              voice: {url: "\(receiver.baseURL)/voice", per_receiver: true, body: '{"to": "{{ receiver }}"}'}
            users:
              alice: {email: alice@example.com, phone: "111"}
              bob: {email: bob@example.com, phone: "222"}
              carol: {email: carol@example.com, phone: "333"}
            """)
    }

    func base(_ extra: [String: JSONValue]) -> JSONValue {
        var o: [String: JSONValue] = [
            "signal": "abnormal", "strategy_id": 7, "bk_biz_id": "2", "alerts": ["a-1"], "alert_level": 1,
            "alert": ["id": "a-1", "alert_name": "CPU usage high", "begin_time": .int(t0)],
            "strategy": ["name": "cpu"], "action_plugin": ["plugin_type": "notice"],
            "action_config": ["id": 1, "name": "default notice", "execute_config": ["template_detail": ["notify_interval": 3600]]],
        ]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    func enqueue(_ lines: [JSONValue], file: StaticString = #filePath, line: UInt = #line) throws -> [Int64] {
        ids(try tick(["enqueue", "-"], stdin: Actions.lines(lines), file: file, line: line))
    }

    /// A parent and one child per way and receiver, as the creation stage writes them.
    func notice(ways: [String], users: [String], action: [String: JSONValue] = [:]) throws -> (parent: Int64, children: [Int64]) {
        let info = JSONValue.object(Dictionary(uniqueKeysWithValues: ways.map { ($0, JSONValue.array(users.map { .string($0) })) }))
        let parent = try enqueue([base(["is_parent_action": true, "inputs": ["notify_info": info]].merging(action) { $1 })])[0]
        var children: [JSONValue] = []
        for way in ways {
            for u in users {
                children.append(base(["parent_action_id": .int(parent), "inputs": ["notice_way": .string(way), "notice_receiver": .string(u)]].merging(action) { $1 }))
            }
        }
        return (parent, try enqueue(children))
    }

    func pass(file: StaticString = #filePath, line: UInt = #line) throws {
        try tick(["run", "--json"], file: file, line: line)
    }

    /// The action as `fta-tick show --json` prints it.
    func row(_ id: Int64) throws -> JSONValue {
        try json(tick(["show", "--json", "\(id)"], without: [.now, .config], expect: nil))["action"] ?? .null
    }

    func testMailAndSMSToThreeUsers_oneMessagePerWay_everyChildSucceeds_parentSuccess() throws {
        let (parent, children) = try notice(ways: ["mail", "sms"], users: ["alice", "bob", "carol"])
        XCTAssertEqual(children.count, 6)
        try pass()
        let mails = try smtp.messages()
        XCTAssertEqual(mails.count, 1, "one merged mail")
        XCTAssertEqual(Set(mails[0]["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue) ?? []), ["alice@example.com", "bob@example.com", "carol@example.com"])
        XCTAssertEqual(mails[0]["subject"]?.stringValue, "[fatal] alert: CPU usage high")
        XCTAssertTrue(mails[0]["body"]?.stringValue?.contains("Alert id</td><td>a-1") ?? false)
        let sms = try receiver.requests().filter { $0["path"]?.stringValue == "/sms" }
        XCTAssertEqual(sms.count, 1, "one merged SMS request")
        let body = try JSONParser.parse(try XCTUnwrap(sms.first?["body"]?.stringValue))
        XCTAssertEqual(Set(body["phones"]?.arrayValue?.compactMap(\.stringValue) ?? []), ["111", "222", "333"])
        XCTAssertTrue(body["text"]?.stringValue?.hasPrefix("[fatal] alert: CPU usage high") ?? false)
        for id in children {
            let r = try row(id)
            XCTAssertEqual(r["status"]?.stringValue, "success")
            XCTAssertTrue(r["ex_data"]?["message"]?.stringValue?.contains("one message to 3 receivers") ?? false, "\(r["ex_data"]!)")
        }
        XCTAssertEqual(try row(parent)["status"]?.stringValue, "success")
    }

    func testFailingGatewayForOneWay_thoseChildrenFail_parentPartialFailure() throws {
        try receiver.script(path: "/sms", statuses: [500], body: "gateway down")
        let (parent, children) = try notice(ways: ["mail", "sms"], users: ["alice", "bob"])
        try pass()
        let statuses = try children.map { try row($0)["status"]?.stringValue ?? "" }
        XCTAssertEqual(statuses.sorted(), ["failure", "failure", "success", "success"])
        let failed = try children.map { try row($0) }.first { $0["status"]?.stringValue == "failure" }
        XCTAssertTrue(failed?["ex_data"]?["message"]?.stringValue?.contains("answered 500: gateway down") ?? false)
        XCTAssertEqual(try row(parent)["status"]?.stringValue, "partial_failure")
    }

    func testVoice_isNeverMerged_oneCallPerChild() throws {
        _ = try notice(ways: ["voice"], users: ["alice", "bob"])
        try pass()
        let calls = try receiver.requests().filter { $0["path"]?.stringValue == "/voice" }
        XCTAssertEqual(calls.count, 2)
    }

    func testVoice_sameReceiversWithin120s_oneCall_theOtherSystemAbort_acrossPassesToo() throws {
        let (_, first) = try notice(ways: ["voice"], users: ["alice"])
        let (_, second) = try notice(ways: ["voice"], users: ["alice"])
        let (_, other) = try notice(ways: ["voice"], users: ["bob"])
        try pass()
        func calls() throws -> [String] {
            try receiver.requests().filter { $0["path"]?.stringValue == "/voice" }.compactMap { try JSONParser.parse($0["body"]!.stringValue!)["to"]?.stringValue }
        }
        XCTAssertEqual(try calls().sorted(), ["111", "222"], "alice called once, bob once")
        let rows = try (first + second).map { try row($0) }
        XCTAssertEqual(rows.compactMap { $0["status"]?.stringValue }.sorted(), ["failure", "success"])
        let suppressed = try XCTUnwrap(rows.first { $0["status"]?.stringValue == "failure" })
        XCTAssertEqual(suppressed["failure_type"]?.stringValue, "system_abort")
        XCTAssertTrue(suppressed["ex_data"]?["message"]?.stringValue?.contains("voice alarm defended by package") ?? false)
        XCTAssertEqual(try row(other[0])["status"]?.stringValue, "success")

        // A later pass inside the window is still suppressed; after it, the call goes out.
        let (_, third) = try notice(ways: ["voice"], users: ["alice"])
        try tick(["run"], at: t0 + 60)
        XCTAssertEqual(try row(third[0])["failure_type"]?.stringValue, "system_abort")
        let (_, fourth) = try notice(ways: ["voice"], users: ["alice"])
        try tick(["run"], at: t0 + 121)
        XCTAssertEqual(try row(fourth[0])["status"]?.stringValue, "success")
        XCTAssertEqual(try calls().filter { $0 == "111" }.count, 2)
    }

    func testTemplateError_failsThoseNotices_namingTheTemplate_andAllFailedMeansParentFailure() throws {
        let bad: [String: JSONValue] = ["action_config": ["id": 1, "execute_config": ["template_detail": [
            "template": [["signal": "abnormal", "title_tmpl": "x", "message_tmpl": "{% if %}"]]]]]]
        let (parent, children) = try notice(ways: ["mail"], users: ["alice"], action: bad)
        try pass()
        let r = try row(children[0])
        XCTAssertEqual(r["status"]?.stringValue, "failure")
        XCTAssertTrue(r["ex_data"]?["message"]?.stringValue?.contains("action_config template[abnormal].message_tmpl") ?? false, "\(r["ex_data"]!)")
        XCTAssertEqual(try row(parent)["status"]?.stringValue, "failure")
        XCTAssertEqual(try smtp.messages().count, 0)
    }

    func testWayWithoutAChannel_andUserWithoutAnAddress_failWithTheReason() throws {
        let (_, noChannel) = try notice(ways: ["weixin"], users: ["alice"])
        let (_, noAddress) = try notice(ways: ["sms"], users: ["ghost"])
        try pass()
        XCTAssertTrue(try row(noChannel[0])["ex_data"]?["message"]?.stringValue?.contains("no channel configured for notice way 'weixin' (channels.weixin)") ?? false)
        XCTAssertTrue(try row(noAddress[0])["ex_data"]?["message"]?.stringValue?.contains("no sms address for ghost") ?? false)
    }
    /// Gateway sends go through the pass's transfer loop. A pass that stops while sends wait
    /// there sends each one the gate admitted, once, and records it; what it had not started
    /// is given back unsent, and the next pass sends that, so every notice goes out exactly once.
    func testAStoppingPass_sendsWhatItHandedOver_once_andGivesBackTheRest() throws {
        try receiver.script(path: "/sms", delay: 0.4)
        var children: [Int64] = []
        for i in 0..<12 {
            // One alert each: twelve groups, one SMS request each.
            let alert: JSONValue = ["id": .string("a-\(i)"), "alert_name": "CPU usage high", "begin_time": .int(t0)]
            children += try notice(ways: ["sms"], users: ["alice"], action: ["alerts": [.string("a-\(i)")], "alert": alert]).children
        }
        let first = try start("fta-tick", ["run", "--concurrency", "2"])
        let deadline = Date().addingTimeInterval(20)
        while try receiver.requests().isEmpty && Date() < deadline { usleep(20_000) }
        kill(first.process.processIdentifier, SIGHUP)
        first.process.waitUntilExit()
        XCTAssertEqual(first.process.terminationReason, .exit)
        XCTAssertEqual(first.process.terminationStatus, 0)
        func sent() throws -> [String] {
            try receiver.requests().filter { $0["path"]?.stringValue == "/sms" }.compactMap { $0["headers"]?["idempotency-key"]?.stringValue }
        }
        let before = try sent()
        let succeeded = try children.filter { try row($0)["status"]?.stringValue == "success" }
        XCTAssertEqual(succeeded.count, before.count, "every send made was recorded, and only those: \(before)")
        XCTAssertGreaterThan(before.count, 0)
        XCTAssertLessThan(before.count, 12, "the stop left some unsent")
        let s = try json(tick(["status", "--json"], expect: nil))
        XCTAssertEqual(s["leased_now"]?.intValue, 0, "no claim left behind: \(s)")
        try receiver.script(path: "/sms", delay: 0)
        try pass()
        let all = try sent()
        XCTAssertEqual(all.count, 12, "twelve sends over the two passes: \(all)")
        XCTAssertEqual(Set(all).count, 12, "none sent twice")
        for id in children { XCTAssertEqual(try row(id)["status"], "success", "child \(id)") }
    }
}
