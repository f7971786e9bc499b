import Foundation
import FTACore
import FTATestSupport
import FTATransport
import XCTest

/// Mail over SMTP through libcurl, against a real aiosmtpd server.
final class SMTPTests: EndToEndCase {
    func testOneMessage_reachesEveryRecipient_withSubjectAndBodyDecodedIntact() throws {
        let server = try startSMTP()
        let client = try XCTUnwrap(SMTPClient())
        let message = MailMessage(from: "fta@example.com", to: ["alice@example.com", "bob@example.com"], cc: ["ops@example.com"],
                                  subject: "[fta] CPU 使用率告警 on host-1", body: "<b>alert</b> a-1\nline two ✓", isHTML: true)
        let settings = SMTPSettings(host: "127.0.0.1", port: server.port, security: .none)
        if case .failure(let e) = client.send(message, settings: settings, date: 1_795_000_000, messageID: "1-test@fta") {
            XCTFail("\(e)")
        }
        let got = try server.messages()
        XCTAssertEqual(got.count, 1)
        let m = got[0]
        XCTAssertEqual(m["mail_from"]?.stringValue, "fta@example.com")
        XCTAssertEqual(m["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue), ["alice@example.com", "bob@example.com", "ops@example.com"])
        XCTAssertEqual(m["to"]?.stringValue, "alice@example.com, bob@example.com")
        XCTAssertEqual(m["subject"]?.stringValue, "[fta] CPU 使用率告警 on host-1")
        XCTAssertEqual(m["content_type"]?.stringValue, "text/html")
        XCTAssertEqual(m["body"]?.stringValue?.trimmingCharacters(in: .newlines), "<b>alert</b> a-1\nline two ✓")
        XCTAssertEqual(m["raw_has_crlf"]?.boolValue, true)
    }

    func testAuth_rightPasswordSends_wrongOneFailsWithoutShowingIt() throws {
        let server = try startSMTP(log: "auth.jsonl", auth: ("fta", "s3cret-mail-pw"))
        let client = try XCTUnwrap(SMTPClient())
        let message = MailMessage(from: "fta@example.com", to: ["alice@example.com"], subject: "hi", body: "text")
        let good = SMTPSettings(host: "127.0.0.1", port: server.port, security: .none, username: "fta", password: "s3cret-mail-pw")
        if case .failure(let e) = client.send(message, settings: good, date: 1_795_000_000, messageID: "2@fta") { XCTFail("\(e)") }
        var bad = good
        bad.password = "wrong-password-123"
        guard case .failure(let e) = client.send(message, settings: bad, date: 1_795_000_000, messageID: "3@fta") else {
            return XCTFail("a wrong password must not send")
        }
        XCTAssertFalse(e.message.contains("wrong-password-123"), e.message)
        XCTAssertTrue(e.message.contains("smtp 127.0.0.1:\(server.port)"), e.message)
        XCTAssertEqual(try server.messages().count, 1)
    }

    func testStartTLSRequired_againstAServerWithoutIt_failsInsteadOfSendingInClear() throws {
        let server = try startSMTP(log: "tls.jsonl")
        let client = try XCTUnwrap(SMTPClient())
        let message = MailMessage(from: "fta@example.com", to: ["alice@example.com"], subject: "hi", body: "text")
        let settings = SMTPSettings(host: "127.0.0.1", port: server.port, security: .starttls)
        guard case .failure(let e) = client.send(message, settings: settings, date: 1_795_000_000, messageID: "4@fta") else {
            return XCTFail("must not send without TLS")
        }
        XCTAssertEqual(e.kind, .tls, e.message)
        XCTAssertEqual(try server.messages().count, 0)
    }

    func testNoServer_failsAsAConnectError() throws {
        let client = try XCTUnwrap(SMTPClient())
        let message = MailMessage(from: "fta@example.com", to: ["alice@example.com"], subject: "hi", body: "text")
        guard case .failure(let e) = client.send(message, settings: SMTPSettings(host: "127.0.0.1", port: 1, security: .none, timeout: 5),
                                                 date: 0, messageID: "5@fta") else { return XCTFail("no server") }
        XCTAssertEqual(e.kind, .connect, e.message)
    }
}
