import Foundation
import FTACore
import FTATestSupport
import XCTest

/// Alert fields are attacker-controlled: rendered into URLs, headers, tokens, mail headers and
/// addresses, program environments, they must never reach the wire or the process as more than
/// the one value they are. Each test also sends a clean control through the same path, so it
/// fails if nothing is sent at all.
final class WireSafetyTests: EndToEndCase {
    var receiver: Receiver!
    /// What a hostile monitored system puts in an alert field.
    let hostile = "v\r\nX-Injected: yes\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x"

    override func setUpWithError() throws {
        try super.setUpWithError()
        receiver = try startReceiver()
    }

    @discardableResult
    func enqueue(_ lines: [JSONValue], expect: Int32 = 0, file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        try tick(["enqueue", "-"], expect: expect, stdin: Actions.lines(lines), file: file, line: line)
    }

    @discardableResult
    func pass(file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        try tick(["run"], file: file, line: line)
    }

    /// The action as `fta-tick show --json` prints it.
    func show(_ id: Int64, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        try json(tick(["show", "\(id)", "--json"], without: [.now, .config], file: file, line: line))["action"] ?? .null
    }

    /// Nothing at the receiver carries the injected header, and no smuggled request arrived.
    func assertNoInjection(file: StaticString = #filePath, line: UInt = #line) throws -> [JSONValue] {
        let requests = try receiver.requests()
        for r in requests {
            XCTAssertNil(r["headers"]?["x-injected"], "injected header reached the receiver: \(r)", file: file, line: line)
            XCTAssertNotEqual(r["path"]?.stringValue, "/smuggled", "a smuggled request reached the receiver", file: file, line: line)
        }
        return requests
    }

    func webhook(_ detail: [String: JSONValue], alert: String, id: String) -> JSONValue {
        var d: [String: JSONValue] = ["method": "POST", "url": .string("\(receiver.baseURL)/hook")]
        for (k, v) in detail { d[k] = v }
        return ["signal": "abnormal", "strategy_id": 1, "bk_biz_id": "2", "alerts": [.string(id)],
                "alert": ["id": .string(id), "e": .string(alert)], "action_plugin": ["plugin_type": "webhook"],
                "action_config": ["id": 1, "name": "hook", "execute_config": ["template_detail": .object(d)]]]
    }

    func testWebhook_controlCharactersInARenderedHeaderTokenOrURL_failTheAction_andNothingIsInjected() throws {
        let cases: [(String, [String: JSONValue], String)] = [
            ("header value", ["headers": ["X-A": "{{ alert.e }}"]], "template_detail.headers.X-A: rendered header value contains a control character (CR)"),
            ("header name", ["headers": [["key": "{{ alert.e }}", "value": "1"]]], "rendered header name contains a control character (CR)"),
            ("bearer token", ["authorize": ["auth_type": "bearer_token", "auth_config": ["token": "{{ alert.e }}"]]],
             "template_detail.authorize.auth_config.token: rendered token contains a control character (CR)"),
            ("url", ["url": .string("\(receiver.baseURL)/hook?x={{ alert.e }}")], "template_detail.url: rendered url contains a control character (CR)"),
        ]
        var lines = cases.enumerated().map { webhook($0.element.1, alert: hostile, id: "bad\($0.offset)") }
        // Controls: the same header config with a clean value, and a query parameter (encoded, so safe).
        lines.append(webhook(["headers": ["X-A": "{{ alert.e }}"]], alert: "clean", id: "good"))
        lines.append(webhook(["query_params": ["q": "{{ alert.e }}"]], alert: hostile, id: "query"))
        let stored = ids(try enqueue(lines))
        XCTAssertEqual(stored.count, 6)
        try pass()
        for (i, c) in cases.enumerated() {
            let row = try show(stored[i])
            XCTAssertEqual(row["status"]?.stringValue, "failure", c.0)
            XCTAssertTrue(row["ex_data"]?["message"]?.stringValue?.contains(c.2) ?? false, "\(c.0): \(row["ex_data"] ?? .null)")
        }
        let requests = try assertNoInjection()
        XCTAssertEqual(requests.count, 2, "only the two controls were sent: \(requests)")
        XCTAssertEqual(requests.compactMap { $0["headers"]?["x-a"]?.stringValue }, ["clean"])
        let query = try XCTUnwrap(requests.first { $0["query"]?.stringValue?.hasPrefix("q=") == true }?["query"]?.stringValue)
        XCTAssertTrue(query.hasPrefix("q=v%0D%0AX-Injected"), query)
        XCTAssertEqual(try show(stored[5])["status"]?.stringValue, "success")
    }

    func testWebhook_staticHeaderOrURLWithControlCharacters_isRefusedAtEnqueue() throws {
        let r = try enqueue([webhook(["headers": ["X-A": .string("a\r\nX-Injected: yes")]], alert: "x", id: "s1"),
                             webhook(["url": .string("\(receiver.baseURL)/a\nb")], alert: "x", id: "s2"),
                             webhook(["headers": ["X A": "1"]], alert: "x", id: "s3")], expect: 1)
        XCTAssertTrue(r.stdout.isEmpty, "nothing stored: \(r.stdout)")
        XCTAssertTrue(r.stderr.contains("stdin line 1: action_config.execute_config.template_detail.headers.X-A: header value contains a control character (CR)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("stdin line 2: action_config.execute_config.template_detail.url: contains a control character (LF)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("stdin line 3: action_config.execute_config.template_detail.headers.X A: header name contains 'space'"), r.stderr)
    }

    func testGatewayChannel_receiverWithCRLFInItsAddress_isNotCalled_othersAre_andCarryAnIdempotencyKey() throws {
        try writeConfig("""
            channels:
              sms: {url: "\(receiver.baseURL)/sms?to={{ receiver }}", per_receiver: true}
            users:
              alice: {phone: "111\\r\\nX-Injected: yes\\r\\n\\r\\nGET /smuggled HTTP/1.1"}
              bob: {phone: "222"}
            """)
        let lines = ["alice", "bob"].map { u -> JSONValue in
            ["signal": "abnormal", "strategy_id": 1, "alerts": ["a1"], "alert": ["id": "a1", "alert_name": "disk full"],
             "action_plugin": ["plugin_type": "notice"], "action_config": ["id": 1, "name": "notice"],
             "inputs": ["notice_way": "sms", "notice_receiver": .string(u)]]
        }
        let stored = ids(try enqueue(lines))
        try pass()
        let requests = try assertNoInjection()
        XCTAssertEqual(requests.map { $0["query"]?.stringValue }, ["to=222"])
        XCTAssertTrue(requests[0]["headers"]?["idempotency-key"]?.stringValue?.hasPrefix("fta-\(t0)") ?? false, "\(requests[0])")
        let alice = try show(stored[0])
        XCTAssertEqual(alice["status"]?.stringValue, "failure")
        XCTAssertTrue(alice["ex_data"]?["message"]?.stringValue?.contains("rendered channels.sms.url contains a control character (CR); not sent") ?? false, "\(alice)")
        XCTAssertEqual(try show(stored[1])["status"]?.stringValue, "success")
    }

    func testStepPlugin_alertValueWithCRLFInItsURL_failsTheStep_withoutARequest() throws {
        try writeConfig("""
            remote:
              hooks: {url: "\(receiver.baseURL)"}
            plugins:
              - plugin_type: common
                plugin_key: lookup
                system: hooks
                steps:
                  create_task: {method: GET, url: "{{ system.url }}/step/{{ template_detail.v }}"}
            """)
        func line(_ e: String, _ id: String) -> JSONValue {
            ["signal": "abnormal", "strategy_id": 1, "alerts": [.string(id)], "alert": ["id": .string(id), "e": .string(e)], "assignee": ["ops"],
             "action_plugin": ["plugin_type": "common", "plugin_key": "lookup"],
             "action_config": ["id": 9, "name": "lookup", "execute_config": ["template_id": "1", "template_detail": ["v": "{{ alert.e }}"]]]]
        }
        let stored = ids(try enqueue([line(hostile, "bad"), line("host-1", "good")]))
        try pass()
        let requests = try assertNoInjection()
        XCTAssertEqual(requests.map { $0["path"]?.stringValue }, ["/step/host-1"])
        let bad = try show(stored[0])
        XCTAssertEqual(bad["status"]?.stringValue, "failure")
        XCTAssertTrue(bad["ex_data"]?["message"]?.stringValue?.contains("create_task.url: rendered url contains a control character (CR)") ?? false, "\(bad)")
    }

    func testMail_CRLFInTheSubjectOrARecipient_addsNoHeaderAndNoRecipient() throws {
        let smtp = try startSMTP()
        try writeConfig("""
            channels:
              mail: {host: 127.0.0.1, port: \(smtp.port), security: none, from: fta@example.com}
            users:
              alice: {email: alice@example.com}
              carol: {email: "carol@example.com\\r\\nRCPT TO:<mallory@example.com>"}
            """)
        let title = "Hi\r\nBcc: mallory@example.com\r\nX-Injected: yes"
        let lines = ["alice", "carol"].map { u -> JSONValue in
            ["signal": "abnormal", "strategy_id": 1, "alerts": ["a1"], "alert": ["id": "a1", "e": .string(title)],
             "action_plugin": ["plugin_type": "notice"],
             "action_config": ["id": 1, "name": "notice", "execute_config": ["template_detail": [
                "template": [["signal": "abnormal", "title_tmpl": "{{ alert.e }}", "message_tmpl": "disk full"]]]]],
             "inputs": ["notice_way": "mail", "notice_receiver": .string(u)]]
        }
        let stored = ids(try enqueue(lines))
        try pass()
        let messages = try smtp.messages()
        XCTAssertEqual(messages.count, 1)
        let m = messages[0]
        XCTAssertEqual(m["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue), ["alice@example.com"])
        let headers = m["header_names"]?.arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertFalse(headers.contains("bcc") || headers.contains("x-injected"), "\(headers)")
        XCTAssertEqual(m["subject"]?.stringValue, "Hi  Bcc: mallory@example.com  X-Injected: yes")
        let carol = try show(stored[1])
        XCTAssertEqual(carol["status"]?.stringValue, "failure")
        XCTAssertTrue(carol["ex_data"]?["message"]?.stringValue?.contains("mail address refused") ?? false, "\(carol)")
    }

    func testElasticsearchSettings_withControlCharacters_areAConfigError() throws {
        for (yaml, field) in [("elasticsearch: {url: \"http://127.0.0.1:9\", api_key: \"k\\r\\nX-Injected: yes\"}", "elasticsearch.api_key"),
                              ("elasticsearch: {url: \"http://127.0.0.1:9/\\r\\nx\"}", "elasticsearch.url"),
                              ("tick: {user_agent: \"fta\\nX-Injected: yes\"}", "tick.user_agent")] {
            try writeConfig(yaml + "\n", name: "es.yaml")
            let r = try sync([], without: .now, expect: 2)
            XCTAssertTrue(r.stderr.contains("\(field): ") && r.stderr.contains("control character"), r.stderr)
            XCTAssertFalse(r.stderr.contains("X-Injected"), "the value is not echoed: \(r.stderr)")
        }
    }

    func testNoticeGateways_andBots_sendAnIdempotencyKey_theSameWhenTheSendIsRepeated() throws {
        try writeConfig("""
            channels:
              voice: {url: "\(receiver.baseURL)/voice", per_receiver: true, dedupe_window: 0}
              weixin: {url: "\(receiver.baseURL)/wx"}
              wxwork-bot: {url: "\(receiver.baseURL)/bot?key={{ chat_id }}"}
            users:
              alice: {phone: "111", weixin: wx-alice}
              bob: {phone: "222", weixin: wx-bob}
            """)
        try receiver.script(path: "/bot", statuses: [200], body: #"{"errcode": 0}"#)
        func child(_ way: String, _ receiver: JSONValue) -> JSONValue {
            ["signal": "abnormal", "strategy_id": 1, "alerts": ["a1"], "alert": ["id": "a1", "alert_name": "cpu"],
             "action_plugin": ["plugin_type": "notice"], "action_config": ["id": 1, "name": "notice"],
             "inputs": ["notice_way": .string(way), "notice_receiver": receiver]]
        }
        let stored = ids(try enqueue([child("voice", ["alice", "bob"]), child("weixin", "alice"), child("weixin", "bob"),
                                      child("wxwork-bot", "chat-1")]))
        XCTAssertEqual(stored.count, 4)
        try pass()
        let requests = try receiver.requests()
        let keys = Dictionary(grouping: requests, by: { $0["path"]?.stringValue ?? "" }).mapValues { $0.compactMap { $0["headers"]?["idempotency-key"]?.stringValue } }
        XCTAssertEqual(keys["/voice"]?.count, 2, "\(requests)")
        XCTAssertEqual(Set(keys["/voice"] ?? []).count, 2, "one key per call of a per-receiver gateway")
        XCTAssertEqual(keys["/wx"]?.count, 1, "the two weixin children go out as one message with one key")
        XCTAssertEqual(keys["/bot"]?.count, 1)
        XCTAssertTrue((keys.values.flatMap { $0 }).allSatisfy { $0.hasPrefix("fta-\(t0)") }, "\(keys)")
        // The operator runs the weixin child again: a new execution, so a new key.
        try tick(["retry", "\(stored[1])", "--include-success"], at: t0 + 60, without: .config)
        try tick(["run"], at: t0 + 60, expect: nil)
        let wx = try receiver.requests().filter { $0["path"]?.stringValue == "/wx" }.compactMap { $0["headers"]?["idempotency-key"]?.stringValue }
        XCTAssertEqual(wx.count, 2)
        XCTAssertNotEqual(wx[0], wx[1])
    }

    func testConfigValues_dollarDollarBrace_isALiteralDollarBrace() throws {
        try writeConfig("tick: {user_agent: \"${FTA_TEST_UA}/$${NOT_EXPANDED}\"}\n")
        try tick(["enqueue", "-"], without: .config, stdin: Actions.lines([webhook([:], alert: "x", id: "ua")]))
        try tick(["run"], environment: ["FTA_TEST_UA": "probe"])
        XCTAssertEqual(try receiver.requests().first?["headers"]?["user-agent"]?.stringValue, "probe/${NOT_EXPANDED}")
    }
}
