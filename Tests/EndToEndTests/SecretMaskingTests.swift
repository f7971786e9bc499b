import Foundation
import FTACore
import FTATestSupport
import XCTest

/// One masking rule for every output: credentials put into action configs, URLs, headers,
/// gateway settings and even alert text must appear in no output of any command, nor in the
/// documents exported to Elasticsearch.
final class SecretMaskingTests: EndToEndCase {
    /// Every secret below, none of which may be printed, logged or exported.
    let secrets = ["PASS-URL-1x", "TOK-QUERY-2x", "TOK-HDR-3x", "KEY-HDR-4x", "COOKIE-5x", "PASS-BASIC-6x", "TOK-BEARER-7x",
                   "GW-TOKEN-8x", "ALERT-PW-9x", "ES-PASS-10x"]

    func testNoSecretAppearsInAnyOutput_orAnyExportedDocument() throws {
        let receiver = try startReceiver()
        let es = try startES()
        try receiver.script(path: "/bearer", statuses: [401, 401, 401], body: "invalid credentials: Bearer TOK-BEARER-7x")
        try writeConfig("""
            elasticsearch: {url: \(es.url), username: fta, password: ES-PASS-10x}
            channels:
              sms: {url: "\(receiver.baseURL)/sms", headers: {Authorization: "Bearer GW-TOKEN-8x"}}
            users:
              alice: {phone: "111"}
            """)
        let base = "http://ops:PASS-URL-1x@127.0.0.1:\(receiver.port)"
        let hook = Actions.webhook(url: "\(base)/hook?token=TOK-QUERY-2x&x=1", detail: [
            "headers": ["X-Auth-Token": "TOK-HDR-3x", "X-Api-Key": "KEY-HDR-4x", "Cookie": "session=COOKIE-5x"],
            "authorize": ["auth_type": "basic_auth", "auth_config": ["username": "ops", "password": "PASS-BASIC-6x"]],
        ], alertId: "w1")
        let bearer = Actions.webhook(url: "\(receiver.baseURL)/bearer", maxRetryTimes: 0, detail: [
            "authorize": ["auth_type": "bearer_token", "auth_config": ["token": "TOK-BEARER-7x"]],
        ], alertId: "w2")
        let notice: JSONValue = ["signal": "abnormal", "strategy_id": 5, "alerts": ["n1"],
                                 "alert": ["id": "n1", "alert_name": "login failed password=ALERT-PW-9x"],
                                 "action_plugin": ["plugin_type": "notice"], "action_config": ["id": 1, "name": "notice"],
                                 "inputs": ["notice_way": "sms", "notice_receiver": "alice"]]
        var outputs: [(String, String)] = []
        func run(_ tool: String, _ args: [String], stdin: String? = nil) throws -> CommandResult {
            let r = try fta(tool, args, without: .now, expect: nil, stdin: stdin)
            outputs.append(("\(tool) \(args.joined(separator: " ")) stdout", r.stdout))
            outputs.append(("\(tool) \(args.joined(separator: " ")) stderr", r.stderr))
            return r
        }
        XCTAssertEqual(try run("fta-tick", ["enqueue", "--json", "--now", "\(t0)", "-"], stdin: Actions.lines([hook, bearer])).status, 0)
        XCTAssertEqual(try run("fta-tick", ["breaker", "add", "--strategy", "5"]).status, 0)
        XCTAssertEqual(try run("fta-tick", ["enqueue", "--now", "\(t0)", "-"], stdin: Actions.lines([notice])).status, 0)
        XCTAssertEqual(try run("fta-tick", ["run", "--now", "\(t0)", "--log-level", "trace", "--metrics-file", dir.file("m.prom")]).status, 0)
        _ = try run("fta-tick", ["run", "--now", "\(t0 + 5)", "--log-level", "trace", "--log-format", "json"])
        for id in 1...3 {
            _ = try run("fta-tick", ["show", "\(id)"])
            _ = try run("fta-tick", ["show", "\(id)", "--json"])
        }
        _ = try run("fta-tick", ["status", "--json"])
        _ = try run("fta-replay", ["--dry-run"])
        _ = try run("fta-replay", ["--dry-run", "--json"])
        _ = try run("fta-sync", ["--dry-run"])
        XCTAssertEqual(try run("fta-sync", ["--now", "\(t0 + 10)"]).status, 0)
        outputs.append(("metrics", try String(contentsOfFile: dir.file("m.prom"), encoding: .utf8)))
        let documents = try es.documents()
        XCTAssertEqual(documents.count, 3, "the three actions were exported")
        for (id, doc) in documents { outputs.append(("document \(id) in \(doc.index)", doc.source.jsonText)) }

        // The test has teeth: the secrets were really used.
        let sent = try receiver.requests()
        XCTAssertEqual(sent.first { $0["path"]?.stringValue == "/hook" }?["headers"]?["x-auth-token"]?.stringValue, "TOK-HDR-3x")
        XCTAssertTrue(outputs.contains { $0.1.contains("******") }, "masks were printed in their place")
        for (name, text) in outputs {
            for secret in secrets { XCTAssertFalse(text.contains(secret), "\(secret) appears in \(name):\n\(text.prefix(2_000))") }
        }
        let show = try XCTUnwrap(outputs.first { $0.0 == "fta-tick show 1 --json stdout" }?.1)
        let row = try JSONParser.parse(show)["action"]
        let detail = row?["action_config"]?["execute_config"]?["template_detail"]
        XCTAssertEqual(detail?["url"]?.stringValue, "http://ops:******@127.0.0.1:\(receiver.port)/hook?token=******&x=1")
        XCTAssertEqual(detail?["headers"]?["Cookie"]?.stringValue, "******")
        XCTAssertEqual(detail?["authorize"]?["auth_config"]?["username"]?.stringValue, "ops", "what is not secret stays readable")
    }
}
