import Foundation
@testable import FTAActions
@testable import FTACommand
@testable import FTAConfig
@testable import FTACore
@testable import FTATemplates
import XCTest

final class RedactorTests: XCTestCase {
    func testMasksSecretsInTextJSONAndURLs() {
        XCTAssertEqual(Redactor(secrets: ["hunter22"]).redact("pw hunter22!"), "pw ******!")
        let masked = Redactor.maskSecrets(["auth_config": ["username": "u", "password": "p"], "headers": [["key": "Authorization", "value": "Bearer x"]]])
        XCTAssertEqual(masked["auth_config"]?["password"], "******")
        XCTAssertEqual(masked["auth_config"]?["username"], "u")
        XCTAssertEqual(masked["headers"]?.arrayValue?.first?["value"], "******")
        XCTAssertEqual(Redactor.safeURL("https://u:p@host:8/a/b?token=x#f"), "https://host:8/a/b")
    }

    func testSafeURL_dropsUserInfoQueryAndFragment_only() {
        XCTAssertEqual(Redactor.safeURL("http://h/x"), "http://h/x")
        XCTAssertEqual(Redactor.safeURL("http://h"), "http://h")
        XCTAssertEqual(Redactor.safeURL("http://a@b:c@h/p@q?x=1"), "http://h/p@q", "the last @ before the path ends the user info")
        XCTAssertEqual(Redactor.safeURL("http://h/p#frag"), "http://h/p")
        XCTAssertEqual(Redactor.safeURL("http://h?token=1/2"), "http://h")
        XCTAssertEqual(Redactor.safeURL("u:p@h/x?q"), "h/x", "no scheme")
        XCTAssertEqual(Redactor.safeURL("http://用户:密@主机/路径?令牌=1"), "http://主机/路径")
        XCTAssertEqual(Redactor.safeURL(""), "")
        XCTAssertEqual(Redactor.safeURL("http://"), "http://")
    }

    func testMaskText_urlPasswordsSecretParametersAndCredentials_butNotPlainWords() {
        XCTAssertEqual(Redactor.maskText("GET https://ops:pa55@host/x?token=abc&id=7 failed"), "GET https://ops:******@host/x?token=******&id=7 failed")
        XCTAssertEqual(Redactor.maskText("Authorization: Bearer eyJhbGciOi.x.y"), "Authorization: Bearer ******")
        XCTAssertEqual(Redactor.maskText("Basic dXNlcjpwYXNz"), "Basic ******")
        XCTAssertEqual(Redactor.maskText("basic authentication failed"), "basic authentication failed", "prose is not a credential")
        XCTAssertEqual(Redactor.maskText("form: user=a&password=hunter2"), "form: user=a&password=******")
        XCTAssertEqual(Redactor.maskText("X-Api-Key=k1; session_id=9"), "X-Api-Key=******; session_id=9")
        XCTAssertFalse(Redactor.mayHoldSecret(#"{"url":"http://h/x","method":"POST","body":{"a":1}}"#))
        XCTAssertTrue(Redactor.mayHoldSecret(#"{"AUTHORIZE":{"auth_config":{"Token":"x"}}}"#))
        let text = #"{"headers":[{"key":"X-Auth-Token","value":"t1"}],"url":"http://u:p9@h/"}"#
        XCTAssertEqual(try JSONParser.parse(Redactor.maskJSONText(text)), ["headers": [["key": "X-Auth-Token", "value": "******"]], "url": "http://u:******@h/"])
        let plain = #"{"url":"http://h/x"}"#
        XCTAssertEqual(Redactor.maskJSONText(plain), plain, "untouched text is returned as it was")
    }
}

final class LogLineTests: XCTestCase {
    func testValuesQuotedOnlyWhenNeeded_andMillisecondTimestamps() {
        XCTAssertEqual(FTALogHandler.quote("plain"), "plain")
        XCTAssertEqual(FTALogHandler.quote("a b"), "\"a b\"")
        XCTAssertEqual(FTALogHandler.quote("k=v"), "\"k=v\"")
        XCTAssertEqual(FTALogHandler.quote("say \"hi\" \\ bye"), "\"say \\\"hi\\\" \\\\ bye\"")
        XCTAssertEqual(FTALogHandler.quote(""), "\"\"")
        XCTAssertEqual(FTALogHandler.quote("数据 库"), "\"数据 库\"")
        let t = FTALogHandler.timestamp()
        XCTAssertNotNil(t.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression), t)
    }
}
