import Foundation
import FTAActions
import FTAConfig
import FTACore
import FTATestSupport
import XCTest

/// Notice channels configured from YAML, sending to a real HTTP receiver and a real SMTP server.
final class ChannelTests: EndToEndCase {
    var receiver: Receiver!
    var worker: ChannelWorker!

    override func setUpWithError() throws {
        try super.setUpWithError()
        receiver = try startReceiver()
        worker = try XCTUnwrap(ChannelWorker(clock: .fixed(t0)))
    }

    func channels(_ yaml: String) throws -> [String: any NoticeChannel] {
        NoticeChannels.make(try FTAConfig.parse(yaml, source: "test.yaml", environment: ["SMS_TOKEN": "tok-sms-1"]).channels)
    }

    func testSMSGateway_onePostForAllReceivers_bodyFromTemplate_contentCutTo140() throws {
        let c = try channels("""
            channels:
              sms:
                url: \(receiver.baseURL)/sms
                headers: {Authorization: "Bearer ${SMS_TOKEN}"}
                body: '{"phones": {{ receivers|tojson }}, "text": {{ content|tojson }}}'
                success_path: code
                success_value: 0
            """)
        try receiver.script(path: "/sms", statuses: [200], body: #"{"code": 0}"#)
        let long = String(repeating: "告", count: 300)
        let results = try XCTUnwrap(c["sms"]).send(NoticeMessage(way: "sms", receivers: ["13800000001", "13800000002"], title: "t", content: long), worker: worker)
        XCTAssertEqual(results.count, 2)
        XCTAssertTrue(results.values.allSatisfy(\.ok), "\(results)")
        let reqs = try receiver.requests()
        XCTAssertEqual(reqs.count, 1)
        XCTAssertEqual(reqs[0]["headers"]?["authorization"]?.stringValue, "Bearer tok-sms-1")
        let body = try JSONParser.parse(try XCTUnwrap(reqs[0]["body"]?.stringValue))
        XCTAssertEqual(body["phones"], ["13800000001", "13800000002"])
        XCTAssertEqual(body["text"]?.stringValue?.count, 140)
        XCTAssertTrue(body["text"]?.stringValue?.hasSuffix("…") ?? false)
    }

    func testGateway_non2xxOrRefusedByItsSuccessRule_failsEveryReceiver_withTheReason() throws {
        let c = try channels("""
            channels:
              weixin: {url: "\(receiver.baseURL)/wx", success_path: "result"}
              qy_weixin: {url: "\(receiver.baseURL)/qy"}
            """)
        try receiver.script(path: "/wx", statuses: [200], body: #"{"result": false, "message": "no such user"}"#)
        try receiver.script(path: "/qy", statuses: [500], body: "down")
        let refused = try XCTUnwrap(c["weixin"]).send(NoticeMessage(way: "weixin", receivers: ["u1"], title: "t", content: "c"), worker: worker)
        XCTAssertEqual(refused["u1"]?.ok, false)
        XCTAssertTrue(refused["u1"]?.message.contains("result = false") ?? false, "\(refused)")
        let down = try XCTUnwrap(c["qy_weixin"]).send(NoticeMessage(way: "qy_weixin", receivers: ["u1", "u2"], title: "t", content: "c"), worker: worker)
        XCTAssertEqual(down.values.map(\.ok), [false, false])
        XCTAssertTrue(down["u2"]?.message.contains("answered 500: down") ?? false, "\(down)")
    }

    func testGatewayCredentials_neverAppearInResults() throws {
        let c = try channels("channels:\n  rtx: {url: \"\(receiver.baseURL)/rtx\", headers: {Authorization: \"Bearer ${SMS_TOKEN}\"}}\n")
        try receiver.script(path: "/rtx", statuses: [401], body: "bad credentials: Bearer tok-sms-1")
        let results = try XCTUnwrap(c["rtx"]).send(NoticeMessage(way: "rtx", receivers: ["u1"], title: "t", content: "c"), worker: worker)
        XCTAssertEqual(results["u1"]?.ok, false)
        XCTAssertFalse(results["u1"]?.message.contains("tok-sms-1") ?? true, "\(results)")
        XCTAssertTrue(results["u1"]?.message.contains("answered 401") ?? false)
    }

    func testVoiceGateway_perReceiver_oneCallEach() throws {
        let c = try channels("channels:\n  voice: {url: \"\(receiver.baseURL)/call\", per_receiver: true, body: '{\"to\": \"{{ receiver }}\"}'}\n")
        let results = try XCTUnwrap(c["voice"]).send(NoticeMessage(way: "voice", receivers: ["111", "222"], title: "t", content: "c"), worker: worker)
        XCTAssertTrue(results.values.allSatisfy(\.ok))
        let to = try receiver.requests().compactMap { try JSONParser.parse($0["body"]!.stringValue!)["to"]?.stringValue }
        XCTAssertEqual(to.sorted(), ["111", "222"])
    }

    func testWxworkBot_markdownWithMentions_toEachChat_errcodeChecked() throws {
        let c = try channels("channels:\n  wxwork-bot: {url: \"\(receiver.baseURL)/bot?key={{ chat_id }}\"}\n")
        try receiver.script(path: "/bot", statuses: [200, 200], body: #"{"errcode": 0, "errmsg": "ok"}"#)
        var results = try XCTUnwrap(c["wxwork-bot"]).send(NoticeMessage(way: "wxwork-bot", receivers: ["chat-a"], title: "CPU high", content: "> host-1", mentions: ["alice"]), worker: worker)
        XCTAssertEqual(results["chat-a"]?.ok, true)
        let req = try XCTUnwrap(try receiver.requests().first)
        XCTAssertEqual(req["query"]?.stringValue, "key=chat-a")
        let body = try JSONParser.parse(try XCTUnwrap(req["body"]?.stringValue))
        XCTAssertEqual(body["msgtype"], "markdown")
        XCTAssertEqual(body["markdown"]?["content"]?.stringValue, "**CPU high**\n> host-1\n<@alice>")
        try receiver.script(path: "/bot", statuses: [200], body: #"{"errcode": 93000, "errmsg": "invalid webhook url"}"#)
        results = try XCTUnwrap(c["wxwork-bot"]).send(NoticeMessage(way: "wxwork-bot", receivers: ["chat-b"], title: "", content: "x"), worker: worker)
        XCTAssertEqual(results["chat-b"]?.ok, false)
        XCTAssertTrue(results["chat-b"]?.message.contains("invalid webhook url") ?? false)
    }

    func testMail_oneMessageToAllReceivers() throws {
        let smtp = try startSMTP()
        let c = try channels("channels:\n  mail: {host: 127.0.0.1, port: \(smtp.port), security: none, from: fta@example.com}\n")
        let results = try XCTUnwrap(c["mail"]).send(NoticeMessage(way: "mail", receivers: ["a@example.com", "b@example.com"], title: "[fta] disk full", content: "<p>/data 98%</p>"), worker: worker)
        XCTAssertTrue(results.values.allSatisfy(\.ok), "\(results)")
        let got = try smtp.messages()
        XCTAssertEqual(got.count, 1)
        XCTAssertEqual(got[0]["rcpt_tos"]?.arrayValue?.count, 2)
        XCTAssertEqual(got[0]["subject"]?.stringValue, "[fta] disk full")
        XCTAssertEqual(got[0]["content_type"]?.stringValue, "text/html")
    }

    func testBadChannelConfig_namesTheSetting() {
        let cases: [(String, String)] = [
            ("channels:\n  sms: {method: POST}\n", "channels.sms.url: missing"),
            ("channels:\n  sms: {url: ftp://x}\n", "channels.sms.url: must start with http"),
            ("channels:\n  mail: {host: x, from: a@b, security: ssl}\n", "channels.mail.security: 'ssl' is not one of none, starttls, tls"),
            ("channels:\n  mail: {host: x}\n", "channels.mail.from: missing"),
            ("channels:\n  voice: {url: 'http://x', per_reciever: true}\n", "channels.voice.per_reciever: unknown setting"),
            ("channels:\n  SMS: {url: 'http://x'}\n", "channels.SMS: a way name is lower-case"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try FTAConfig.parse(yaml, source: "c.yaml")) { e in
                XCTAssertTrue("\(e)".contains(expected), "\(yaml) -> \(e)")
            }
        }
    }
}
