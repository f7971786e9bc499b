import Foundation
@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
@testable import FTATemplates
import FTATestSupport
import XCTest

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

/// The webhook processor against a scripted transport: what it sends and how it reads the
/// answer, without a server.
final class WebhookProcessorTests: XCTestCase {
    let settings = TickSettings()

    func action(_ detail: JSONValue, alert: JSONValue = ["id": "a1", "event": ["ip": "10.0.0.7"]]) -> ClaimedAction {
        var a = ClaimedAction(id: 42, leaseToken: 1, createTime: 1_795_000_000)
        a.text.actionConfig = JSONValue.object(["name": "notify cmdb", "execute_config": ["template_detail": detail]]).jsonText
        a.text.alert = alert.jsonText
        a.text.alerts = #"["a1"]"#
        return a
    }

    func run(_ a: ClaimedAction, _ transport: ScriptedTransport) -> StepResult {
        let worker = WorkerContext(settings: settings, clock: .fixed(1_795_000_100), http: transport)
        return WebhookProcessor(settings: settings).run(a, worker: worker)
    }

    func testRendersTheRequest_fromTheAlert_andSucceedsOn2xx() throws {
        let transport = ScriptedTransport([.respond(201, body: "created")])
        let a = action([
            "method": "POST", "url": "https://hooks.example.com/fta/{{alert.id}}",
            "headers": [["key": "X-Host", "value": "{{alert.event.ip}}", "is_enabled": true]],
            "body": ["data_type": "raw", "content_type": "json", "content": #"{"alert":"{{alert.id}}","n":"{{action.execute_times}}"}"#],
        ])
        let result = run(a, transport)

        XCTAssertEqual(result.outcome.result, .finished(.success))
        XCTAssertEqual(result.outcome.outputs["status_code"], .int(201))
        let sent = try XCTUnwrap(transport.requests.first)
        XCTAssertEqual(transport.requests.count, 1)
        XCTAssertEqual(sent.method, "POST")
        XCTAssertEqual(sent.url, "https://hooks.example.com/fta/a1")
        let headers = Dictionary(sent.headers.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(headers["x-host"], "10.0.0.7")
        XCTAssertEqual(headers["content-type"], "application/json")
        XCTAssertEqual(headers["idempotency-key"], "fta-179500000042-execute-1")
        XCTAssertEqual(try JSONParser.parse(String(decoding: sent.body, as: UTF8.self)), ["alert": "a1", "n": "1"])
    }

    func testServerError_isARetryableFailure_thatHonoursRetryAfter_andHidesTheToken() throws {
        let transport = ScriptedTransport([.respond(503, body: "busy, token s3cr3t-token", headers: ["Retry-After": "30"])])
        let a = action([
            "method": "GET", "url": "https://hooks.example.com/x",
            "authorize": ["auth_type": "bearer_token", "auth_config": ["token": "s3cr3t-token"]],
            "failed_retry": ["is_enabled": true, "max_retry_times": 2, "retry_interval": 60, "timeout": 5],
        ])
        let result = run(a, transport)

        XCTAssertEqual(result.outcome.result, .failed(.executeError, retryAfter: 30))
        XCTAssertEqual(result.policy.maxRetryTimes, 2)
        XCTAssertTrue(result.outcome.message.contains("status_code: 503"), result.outcome.message)
        XCTAssertFalse(result.outcome.message.contains("s3cr3t-token"), result.outcome.message)
        let sent = try XCTUnwrap(transport.requests.first)
        XCTAssertTrue(sent.headers.contains { $0.0.lowercased() == "authorization" && $0.1 == "Bearer s3cr3t-token" })
        XCTAssertEqual(sent.timeout, 5)
    }

    func testTimeout_failsWithAMessageSayingSo_andARefusedSendIsNotRetried() {
        let timeout = run(action(["url": "https://hooks.example.com/x", "failed_retry": ["timeout": 3]]),
                          ScriptedTransport([.fail(.timeout, "timed out")]))
        XCTAssertEqual(timeout.outcome.result, .failed(.executeError, retryAfter: nil))
        XCTAssertTrue(timeout.outcome.message.contains("webhook request timeout(3s)"), timeout.outcome.message)

        let refused = run(action(["url": "https://hooks.example.com/x"]), ScriptedTransport([.fail(.refused, "address 169.254.169.254 is not allowed")]))
        XCTAssertEqual(refused.outcome.result, .finished(.failure))
    }

    func testLogDetail_namesTheMethodTheSafeURLAndTheEnd_withoutCredentials() {
        let url = "https://ops:pw-s3cr3t@hooks.example.com/x/y?token=t0k3n#f"
        let ok = run(action(["method": "PUT", "url": .string(url)]), ScriptedTransport([.respond(201)]))
        XCTAssertTrue(ok.detail.hasPrefix("PUT https://hooks.example.com/x/y -> 201 in "), ok.detail)
        XCTAssertTrue(ok.detail.hasSuffix(" ms"), ok.detail)
        let failed = run(action(["url": .string(url)]), ScriptedTransport([.respond(500)]))
        XCTAssertTrue(failed.detail.hasPrefix("GET https://hooks.example.com/x/y -> 500 in "), failed.detail)
        let error = run(action(["url": .string(url)]), ScriptedTransport([.fail(.connect, "refused")]))
        XCTAssertTrue(error.detail.hasPrefix("GET https://hooks.example.com/x/y -> error in "), error.detail)
        let refused = run(action(["url": .string(url)]), ScriptedTransport([.fail(.refused, "not allowed")]))
        XCTAssertEqual(refused.detail, "GET https://hooks.example.com/x/y -> not sent", "GET: the config's default method")
        for d in [ok.detail, failed.detail, error.detail, refused.detail] {
            XCTAssertFalse(d.contains("s3cr3t") || d.contains("t0k3n") || d.contains("ops:"), d)
        }
    }

    func testAnAlertValueThatWouldAddAHeader_isRefused_beforeAnythingIsSent() {
        let transport = ScriptedTransport([])
        let a = action(["url": "https://hooks.example.com/x", "headers": [["key": "X-Host", "value": "{{alert.event.ip}}"]]],
                       alert: ["id": "a1", "event": ["ip": "10.0.0.7\r\nX-Injected: 1"]])
        let result = run(a, transport)

        XCTAssertEqual(result.outcome.result, .finished(.failure), "sending again would not change the value")
        XCTAssertTrue(result.outcome.message.contains("headers.X-Host"), result.outcome.message)
        XCTAssertTrue(transport.requests.isEmpty, "nothing may be sent")
    }
}
