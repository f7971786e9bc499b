import Foundation
@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
@testable import FTATemplates
import XCTest

final class MailMessageTests: XCTestCase {
    func testRFC5322_headersDateAndBase64Body() {
        let m = MailMessage(from: "fta@example.com", to: ["a@example.com"], subject: "告警\r\nBcc: x@evil", body: String(repeating: "x", count: 100))
        let text = m.rfc5322(date: 1_709_208_000, messageID: "id@fta")
        XCTAssertTrue(text.contains("Date: Thu, 29 Feb 2024 12:00:00 +0000\r\n"), text)
        XCTAssertTrue(text.contains("Subject: =?UTF-8?B?"), "non-ASCII subject is encoded, and the CRLF cannot inject a header")
        XCTAssertFalse(text.contains("\r\nBcc:"))
        XCTAssertTrue(text.contains("Content-Type: text/plain; charset=UTF-8\r\n"))
        let bodyLines = text.components(separatedBy: "\r\n\r\n")[1].components(separatedBy: "\r\n").filter { !$0.isEmpty }
        XCTAssertTrue(bodyLines.allSatisfy { $0.count <= 76 })
        XCTAssertEqual(Data(base64Encoded: bodyLines.joined()).map { String(decoding: $0, as: UTF8.self) }, String(repeating: "x", count: 100))
    }
}
