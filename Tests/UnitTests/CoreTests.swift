import Foundation
@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
@testable import FTATemplates
import XCTest

final class JSONTests: XCTestCase {
    func testRoundTrip_keepsIntegersAndUnicode() throws {
        let text = #"{"a":[1,-2,3.5,true,null],"b":"é \"q\" \n \u00e9 \ud83d\ude00","big":1795000000123}"#
        let v = try JSONParser.parse(text)
        XCTAssertEqual(v["big"], .int(1_795_000_000_123))
        XCTAssertEqual(v["b"]?.stringValue, "é \"q\" \n é 😀")
        XCTAssertEqual(try JSONParser.parse(v.jsonText), v)
    }

    func testErrors_sayWhereAndWhat() {
        for bad in ["{", "[1,]", "{\"a\" 1}", "tru", "\"\\x\"", "01", "1 2"] {
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
        XCTAssertThrowsError(try JSONParser.parse("{\"a\": }")) { e in
            XCTAssertTrue("\(e)".contains("byte 7"), "\(e)")
        }
    }

    /// Nested strings are skipped eight bytes at a time: a quote, an escape or a control
    /// character at any offset from a word boundary must still be seen.
    func testSkippedStrings_stopAtEveryOffset() throws {
        for lead in 0..<17 {
            let pad = String(repeating: "é", count: lead / 2) + String(repeating: "x", count: lead % 2)
            for tail in ["", "abcdefgh", "0123456789abcdef"] {
                let inner = #"{"s":"\#(pad)\"q\\\u0041\#(tail)","n":1}"#
                let line = #"{"signal":"abnormal","strategy":\#(inner)}"#
                let bytes = Array(line.utf8)
                let fields = try bytes.withUnsafeBufferPointer { try JSONParser.topLevelFields(bytes: $0) }
                XCTAssertEqual(fields.map(\.key), ["signal", "strategy"], "lead \(lead) tail \(tail)")
                XCTAssertEqual(String(decoding: bytes[fields[1].range], as: UTF8.self), inner)
                XCTAssertEqual(try JSONParser.parse(inner)["s"]?.stringValue, pad + "\"q\\A" + tail)
                // A raw control character or a missing closing quote at the same offsets is refused.
                for bad in [#"{"strategy":{"s":"\#(pad)"# + "\u{01}" + #"\#(tail)"}}"#, #"{"strategy":{"s":"\#(pad)\#(tail)}}"#] {
                    let b = Array(bad.utf8)
                    XCTAssertThrowsError(try b.withUnsafeBufferPointer { try JSONParser.topLevelFields(bytes: $0) }, bad)
                }
            }
        }
    }
}

final class RetryPolicyTests: XCTestCase {
    func testMaxRetryTimesTwo_allowsThreeExecutions() {
        let p = RetryPolicy(maxRetryTimes: 2, retryInterval: 60)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 0, failureType: .executeError, retryAfter: nil, random: 0), 60)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 1, failureType: .executeError, retryAfter: nil, random: 0), 60)
        XCTAssertNil(p.delayBeforeRetry(executionsBefore: 2, failureType: .executeError, retryAfter: nil, random: 0))
    }

    func testDefault_neverRetries_andTimeoutsNeverRetry() {
        XCTAssertNil(RetryPolicy.none.delayBeforeRetry(executionsBefore: 0, failureType: nil, retryAfter: nil, random: 0))
        let p = RetryPolicy(maxRetryTimes: 5, retryInterval: 1)
        XCTAssertNil(p.delayBeforeRetry(executionsBefore: 0, failureType: .timeout, retryAfter: nil, random: 0))
    }

    func testRetryAfter_isHonouredUpToTheCap_andJitterAddsAtMostItsFraction() {
        let p = RetryPolicy(maxRetryTimes: 3, retryInterval: 10, retryAfterCap: 100, jitter: 0.5)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 0, failureType: nil, retryAfter: 40, random: 0), 40)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 0, failureType: nil, retryAfter: 4000, random: 0), 100)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 0, failureType: nil, retryAfter: 5, random: 0), 10)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 0, failureType: nil, retryAfter: nil, random: 0.999)!, 14.995, accuracy: 0.001)
    }
}

final class OutcomeResolverTests: XCTestCase {
    func action(retryTimes: Int64) -> ClaimedAction {
        var a = ClaimedAction(id: 9, leaseToken: 4, createTime: 100)
        a.text.outputs = "{\"retry_times\":\(retryTimes)}"
        a.executeTimes = retryTimes
        return a
    }

    func testFailureWithRetriesLeft_staysRunning_dueAfterTheInterval() {
        let u = OutcomeResolver.resolve(action: action(retryTimes: 0), outcome: .failure("boom"),
                                        policy: RetryPolicy(maxRetryTimes: 1, retryInterval: 30), now: 1000, random: 0)
        XCTAssertEqual(u.status, .running)
        XCTAssertEqual(u.dueAt, 1030)
        XCTAssertNil(u.endTime)
        XCTAssertEqual(u.outputs["retry_times"], .int(1))
        XCTAssertEqual(u.executeTimes, 1)
        XCTAssertEqual(u.leaseToken, 4)
    }

    func testNextStep_staysLive_dueAfterItsInterval_andIsNotAnExecution() {
        var a = action(retryTimes: 1)
        a.nextStep = "schedule"
        let u = OutcomeResolver.resolve(action: a, outcome: ActionOutcome(.next(step: "schedule", after: 2), message: "job running"),
                                        policy: .none, now: 1000, random: 0)
        XCTAssertEqual(u.status, .running)
        XCTAssertEqual(u.dueAt, 1002)
        XCTAssertEqual(u.nextStep, "schedule")
        XCTAssertEqual(u.kind, .continued)
        XCTAssertEqual(u.executeTimes, 1, "a poll is not another execution")
        XCTAssertEqual(u.outputs["retry_times"], .int(1))
    }

    func testFinalFailure_isTerminal_withMessageAndType() {
        let u = OutcomeResolver.resolve(action: action(retryTimes: 1), outcome: .failure("boom"),
                                        policy: RetryPolicy(maxRetryTimes: 1, retryInterval: 30), now: 1000, random: 0)
        XCTAssertEqual(u.status, .failure)
        XCTAssertEqual(u.failureType, "execute_failure")
        XCTAssertNil(u.dueAt)
        XCTAssertEqual(u.endTime, 1000)
        XCTAssertEqual(u.exData["message"], "boom")
        XCTAssertEqual(u.log.first?.level, 40)
    }
}

final class TimeParserTests: XCTestCase {
    func testFormats() {
        XCTAssertEqual(TimeParser.parse("1795000000"), 1_795_000_000)
        XCTAssertEqual(TimeParser.parse("1795000000.9"), 1_795_000_000)
        XCTAssertEqual(TimeParser.parse("1970-01-02T00:00:00Z"), 86400)
        XCTAssertEqual(TimeParser.parse("1970-01-02 08:00:00+08:00"), 86400)
        XCTAssertEqual(TimeParser.parse("1970-01-02T00:00:00.250Z"), 86400)
        XCTAssertEqual(TimeParser.parse("2024-02-29T12:00:00Z"), 1_709_208_000)
        XCTAssertNil(TimeParser.parse("tomorrow"))
        XCTAssertNil(TimeParser.parse("2024-13-01T00:00:00Z"))
        XCTAssertEqual(TimeParser.iso(1_709_208_000), "2024-02-29T12:00:00Z")
    }
}

final class ConfigTests: XCTestCase {
    func testDefaultsAndOverrides_withEnvironmentExpansion() throws {
        let c = try FTAConfig.parse("tick:\n  concurrency: 4\n  user_agent: ${UA}\ndatabase:\n  busy_timeout: 5\n", source: "x.yaml", environment: ["UA": "ops/1"])
        XCTAssertEqual(c.tick.concurrency, 4)
        XCTAssertEqual(c.tick.userAgent, "ops/1")
        XCTAssertEqual(c.tick.batch, 500)
        XCTAssertEqual(c.database.busyTimeout, 5)
    }

    func testOutOfRange_namesTheSetting() {
        XCTAssertThrowsError(try FTAConfig.parse("tick:\n  concurrency: 0\n", source: "x.yaml")) { e in
            XCTAssertEqual("\(e)", "config x.yaml: tick.concurrency: 0 is out of range 1...512")
        }
    }
}

final class WebhookConfigTests: XCTestCase {
    func parse(_ detail: JSONValue) throws -> WebhookConfig {
        try WebhookConfig.parse(detail, failedRetryFallback: nil, defaultTimeout: 10)
    }

    func testDefaults_andRetrySettings() throws {
        let c = try parse(["url": "https://x", "failed_retry": ["timeout": 3, "max_retry_times": 2, "retry_interval": 5]])
        XCTAssertEqual(c.method, "GET")
        XCTAssertEqual(c.timeout, 3)
        XCTAssertEqual(c.maxRetryTimes, 2)
        XCTAssertEqual(c.retryInterval, 5)
        XCTAssertTrue(c.verifyTLS)
        let disabled = try parse(["url": "https://x", "failed_retry": ["is_enabled": false, "max_retry_times": 2]])
        XCTAssertEqual(disabled.maxRetryTimes, -1)
    }

    func testRejections_nameTheField() {
        let cases: [(JSONValue, String)] = [
            (["method": "POST"], "template_detail.url: missing"),
            (["url": "ftp://x"], "template_detail.url: must start with http"),
            (["url": "http://x", "method": "BREW"], "template_detail.method"),
            (["url": "http://x", "body": ["data_type": "yaml"]], "template_detail.body.data_type"),
            (["url": "http://x", "authorize": ["auth_type": "tencent_auth"]], "tencent_auth is not supported"),
            (["url": "http://x", "authorize": ["auth_type": "bearer_token", "auth_config": [:]]], "auth_config.token: missing"),
        ]
        for (detail, expected) in cases {
            XCTAssertThrowsError(try parse(detail)) { e in XCTAssertTrue("\(e)".contains(expected), "\(e)") }
        }
    }
}

final class RedactorTests: XCTestCase {
    func testMasksSecretsInTextJSONAndURLs() {
        XCTAssertEqual(Redactor(secrets: ["hunter22"]).redact("pw hunter22!"), "pw ******!")
        let masked = Redactor.maskSecrets(["auth_config": ["username": "u", "password": "p"], "headers": [["key": "Authorization", "value": "Bearer x"]]])
        XCTAssertEqual(masked["auth_config"]?["password"], "******")
        XCTAssertEqual(masked["auth_config"]?["username"], "u")
        XCTAssertEqual(masked["headers"]?.arrayValue?.first?["value"], "******")
        XCTAssertEqual(Redactor.safeURL("https://u:p@host:8/a/b?token=x#f"), "https://host:8/a/b")
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

final class TemplateRendererTests: XCTestCase {
    let context: JSONValue = ["alert": ["id": "a-1", "severity": 2, "ok": true, "score": 1.5, "tags": ["x", "y"]],
                              "action": ["id": 42, "inputs": [:]]]

    /// The direct path and Stencil print the same text for every simple template.
    func testFastPath_printsWhatStencilPrints() throws {
        let fast = TemplateRenderer()
        let stencil = TemplateRenderer()
        for source in ["id={{ alert.id }}", "{{alert.severity}}/{{ action.id }}", "{{ alert.ok }}", "{{ alert.missing }}!",
                       "{{ alert.score }}", "{{ alert.tags }}", "{{ alert.tags.0 }}", "{{ nothing.here }}", "a {{ alert.id|upper }} b",
                       "{% if alert.ok %}yes{% endif %}"] {
            let viaFast = try fast.render(source, field: "t", context: TemplateRenderer.Context(context))
            let viaStencil = try stencil.render(source, field: "t", context: context.anyValue as! [String: Any])
            XCTAssertEqual(viaFast, viaStencil, source)
        }
        XCTAssertEqual(try fast.render("id={{ alert.id }}", field: "t", context: TemplateRenderer.Context(context)), "id=a-1")
        XCTAssertEqual(try fast.render("{{ alert.id|upper }} {{ alert.tags|length }}", field: "t", context: TemplateRenderer.Context(context)), "A-1 2")
    }

    func testSyntaxError_namesFieldAndLine() {
        XCTAssertThrowsError(try TemplateRenderer().render("ok\n{% if %}", field: "template_detail.url", context: TemplateRenderer.Context(context))) { e in
            XCTAssertTrue("\(e)".hasPrefix("template template_detail.url: "), "\(e)")
            XCTAssertTrue("\(e)".contains("line 2"), "\(e)")
        }
    }

    func testPlainText_isNotATemplate() {
        XCTAssertFalse(TemplateRenderer.isTemplate("{ \"a\": 1 }"))
        XCTAssertTrue(TemplateRenderer.isTemplate("x {{y}}"))
        XCTAssertTrue(TemplateRenderer.isTemplate("{% if x %}"))
    }
}

final class DraftParserTests: XCTestCase {
    func testRepeatedConfig_isValidatedOnce_andStoredVerbatim() throws {
        var validations = 0
        let parser = ActionDraftParser { _, _ in validations += 1 }
        let config = #"{"id": 5, "execute_config": {"timeout": 120, "template_detail": {"url": "http://x"}}}"#
        for i in 0..<3 {
            let d = try parser.parse(#"{"signal":"abnormal","alerts":[1],"action_plugin":{"plugin_type":"webhook"},"action_config":\#(config),"dedupe_key":"k\#(i)"}"#)
            XCTAssertEqual(d.actionConfig, config)
            XCTAssertEqual(d.timeout, 120)
            XCTAssertEqual(d.actionConfigId, 5)
            XCTAssertEqual(d.alerts, #"["1"]"#)
            XCTAssertEqual(d.actionPlugin, #"{"plugin_key":"webhook","plugin_type":"webhook"}"#)
        }
        XCTAssertEqual(validations, 1)
    }

    func testSyntaxErrorsInsideNestedValues_areCaught() {
        let parser = ActionDraftParser { _, _ in }
        for bad in [#"{"signal":"abnormal","action_plugin":{"plugin_type":"webhook"},"strategy":{"a":01}}"#,
                    #"{"signal":"abnormal","action_plugin":{"plugin_type":"webhook"},"inputs":{"a":"\q"}}"#,
                    #"{"signal":"abnormal","action_plugin":{"plugin_type":"webhook"},"dimensions":[1,]}"#] {
            XCTAssertThrowsError(try parser.parse(bad), bad)
        }
        XCTAssertThrowsError(try parser.parse(#"{"signal":"abnormal","action_plugin":{"plugin_type":"webhook"},"strategy":[]}"#)) { e in
            XCTAssertEqual("\(e)", "strategy: expected an object, found array")
        }
    }
}

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

final class ParentStatusTests: XCTestCase {
    /// The original's test_sync_parent_action, plus the cases it leaves implicit.
    func testAggregation() {
        XCTAssertEqual(OutcomeResolver.parentStatus(children: Array(repeating: .failure, count: 10)), .failure)
        XCTAssertEqual(OutcomeResolver.parentStatus(children: Array(repeating: .failure, count: 10) + [.success]), .partialFailure)
        XCTAssertEqual(OutcomeResolver.parentStatus(children: [.success, .success, .skipped, .shield]), .success)
        XCTAssertNil(OutcomeResolver.parentStatus(children: [.success, .received]), "a child still waiting: leave the parent")
        XCTAssertNil(OutcomeResolver.parentStatus(children: [.skipped]), "nothing counted")
    }
}
