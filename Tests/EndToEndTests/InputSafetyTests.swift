import Foundation
import FTACore
import FTATestSupport
import XCTest

/// Bad, absurd and hostile input: every value range-checked with a field-named error, no crash,
/// a bad line never costs a good one, and what a stopped or killed enqueue stored is known.
final class InputSafetyTests: EndToEndCase {
    func status(file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        try json(tick(["status", "--json"], without: .config, file: file, line: line))
    }

    func good(_ i: Int) -> JSONValue {
        Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["dedupe_key": .string("k\(i)")], alertId: "a\(i)")
    }

    func testValuesAtInt64Max_areRefusedByField_andEveryOtherLineOfTheBatchIsStored() throws {
        var lines: [String] = []
        var bad: [Int: String] = [:]
        let max = "9223372036854775807"
        for i in 0..<7_102 {
            switch i {
            case 100: lines.append(#"{"signal":"abnormal","due_at":\#(max),"action_plugin":{"plugin_type":"webhook"}}"#); bad[i + 1] = "due_at: expected epoch seconds"
            case 2_000: lines.append(#"{"signal":"abnormal","execute_times":\#(max),"action_plugin":{"plugin_type":"webhook"}}"#); bad[i + 1] = "execute_times: 9223372036854775807 is out of range"
            case 5_500: lines.append(#"{"signal":"abnormal","due_at":"-1","action_plugin":{"plugin_type":"webhook"}}"#); bad[i + 1] = "due_at: expected epoch seconds"
            case 7_000:
                lines.append(Actions.webhook(url: "http://127.0.0.1:1/x", detail: ["notify_interval": .int(Int64.max)]).jsonText)
                bad[i + 1] = "template_detail.notify_interval: expected whole seconds in 0...31536000"
            default: lines.append(good(i).jsonText)
            }
        }
        let file = try dir.write("big.jsonl", lines.joined(separator: "\n") + "\n")
        let r = try tick(["enqueue", file], expect: 1)   // rows were refused: exit 1, not a crash
        for (line, text) in bad { XCTAssertTrue(r.stderr.contains("big.jsonl line \(line): ") && r.stderr.contains(text), "line \(line): \(r.stderr)") }
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 7_102 - bad.count)
        XCTAssertEqual(try status()["total"]?.intValue, Int64(7_102 - bad.count))

        let event: (Int64, Int64) -> String = { round, interval in
            #"{"signal":"abnormal","execute_times":\#(round),"alert":{"id":"e\#(round)","strategy_id":7,"status":"ABNORMAL","begin_time":\#(self.t0)},"# +
            #""action_configs":[{"id":3,"plugin_type":"notice","execute_config":{"template_detail":{"notify_interval":\#(interval)}}}],"# +
            #""strategy":{"id":7,"notice":{"id":70,"config_id":3,"signal":["abnormal"],"user_groups":["ops"]}}}"#
        }
        let events = [event(Int64.max, 60), event(0, Int64.max), event(1, 60), #"{"signal":"abnormal","alert":{"id":"t","begin_time":\#(max)}}"#].joined(separator: "\n")
        try writeConfig("users: {alice: {email: a@example.com}}\nuser_groups: {ops: {users: [alice]}}\n")
        let ingest = try tick(["ingest", "-"], expect: 1, stdin: events + "\n")
        XCTAssertTrue(ingest.stderr.contains("stdin line 1: execute_times: expected a round number in 0...1000000"), ingest.stderr)
        XCTAssertTrue(ingest.stderr.contains("stdin line 2: action_configs[3].action_config.execute_config.template_detail.notify_interval"), ingest.stderr)
        XCTAssertTrue(ingest.stderr.contains("stdin line 4: alert.begin_time: expected epoch seconds between 0 (1970) and 253402300799 (9999)"), ingest.stderr)
        XCTAssertFalse(ingest.stdout.isEmpty, "the good event was stored")

        for args in [["status", "--now", max], ["run", "--now", "1e300"], ["status", "--now", "-5"], ["run", "--lease", "1e300"], ["run", "--max-runtime", "inf"]] {
            let s = try tick(args, without: [.now, .config], expect: 2)
            XCTAssertEqual(s.stderr.split(separator: "\n").count, 1, s.stderr)
        }
        try tick(["breaker", "add", "--strategy", "1", "--ttl", "9223372036854775807w"], without: [.now, .config], expect: 2)
    }

    func testAbsurdValues_areRefused_namingTheField() throws {
        let cases: [(String, String)] = [
            (#"{"signal":"abnormal","bk_biz_id":2.5,"action_plugin":{"plugin_type":"webhook"}}"#, "bk_biz_id: expected an integer business id, found '2.5'"),
            (#"{"signal":"abnormal","bk_biz_id":"two","action_plugin":{"plugin_type":"webhook"}}"#, "bk_biz_id: expected an integer business id"),
            (#"{"signal":"abnormal","due_at":-100,"action_plugin":{"plugin_type":"webhook"}}"#, "due_at: expected epoch seconds or an ISO-8601 time between 1970-01-01 and 9999-12-31"),
            (#"{"signal":"abnormal","signal":"recovered","action_plugin":{"plugin_type":"webhook"}}"#, "duplicate key 'signal'"),
            (#"{"signal":"abnormal","alert":{"id":"a","id":"b"},"action_plugin":{"plugin_type":"webhook"}}"#, "duplicate key 'id'"),
        ]
        let r = try tick(["enqueue", "-"], expect: 1, stdin: cases.map(\.0).joined(separator: "\n") + "\n")
        for (i, c) in cases.enumerated() { XCTAssertTrue(r.stderr.contains("stdin line \(i + 1): ") && r.stderr.contains(c.1), "\(c.1): \(r.stderr)") }
        XCTAssertEqual(try status()["total"]?.intValue, 0)
    }

    func testRetryIntervalZero_waitsAtLeastASecondBetweenAttempts() throws {
        let receiver = try startReceiver()
        try receiver.script(path: "/down", statuses: Array(repeating: 500, count: 200))
        let line = Actions.webhook(url: "\(receiver.baseURL)/down", maxRetryTimes: 100, retryInterval: 0)
        try tick(["enqueue", "-"], without: .now, stdin: Actions.lines([line]))
        // Real clock: passes back to back for 4 seconds, as a tight cron or a lingering pass would run them.
        let start = Date()
        while Date().timeIntervalSince(start) < 4 {
            try tick(["run"], without: .now, expect: nil)
        }
        let count = try receiver.requests().count
        XCTAssertGreaterThanOrEqual(count, 2, "it was retried")
        XCTAssertLessThanOrEqual(count, 6, "at most about one attempt a second (the old behaviour sent ~80 in this time)")
    }

    func testTyposInsideAnAction_areRefused_withTheNearMiss_unknownTopLevelFieldsAreWarnings() throws {
        let prefix = "action_config.execute_config."
        let cases: [(JSONValue, String)] = [
            (Actions.webhook(url: "http://127.0.0.1:1/x", detail: ["metod": "POST"]), prefix + "template_detail.metod: unknown key (did you mean 'method'?)"),
            (Actions.webhook(url: "http://127.0.0.1:1/x", detail: ["failed_retyr": ["max_retry_times": 1]]), prefix + "template_detail.failed_retyr: unknown key (did you mean 'failed_retry'?)"),
            (Actions.webhook(url: "http://127.0.0.1:1/x", detail: ["failed_retry": ["timout": 5, "max_retry_times": 1]]), prefix + "template_detail.failed_retry.timout: unknown key (did you mean 'timeout'?)"),
            (Actions.webhook(url: "http://127.0.0.1:1/x", detail: ["tls_verfy": false]), prefix + "template_detail.tls_verfy: unknown key (did you mean 'tls_verify'?)"),
            (Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["action_config": ["id": 1, "execute_config": ["timout": 60, "template_detail": ["url": "http://h/"]]]]),
             prefix + "timout: unknown key (did you mean 'timeout'?)"),
        ]
        let r = try tick(["enqueue", "-"], expect: 1, stdin: Actions.lines(cases.map(\.0)))
        XCTAssertTrue(r.stdout.isEmpty, "none stored: \(r.stdout)")
        for (i, c) in cases.enumerated() { XCTAssertTrue(r.stderr.contains("stdin line \(i + 1): \(c.1)"), "\(c.1): \(r.stderr)") }

        // Stored, with a warning to look at: exit 1.
        let warned = try tick(["enqueue", "-"], expect: 1,
                              stdin: Actions.lines([Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["due_a": "2026-11-20T10:00:00Z"])]))
        XCTAssertEqual(warned.stdout.split(separator: "\n").count, 1)
        XCTAssertTrue(warned.stderr.contains("stdin line 1: unknown field 'due_a' ignored (did you mean 'due_at'?)"), warned.stderr)

        try writeConfig("users: {alice: {email: a@example.com}}\nuser_groups: {ops: {users: [alice]}}\n")
        let event = #"{"signal":"abnormal","alert":{"id":"w1","status":"ABNORMAL"},"stratgy":{"id":7},"strategy":{"id":7,"notice":{"id":70,"config_id":0,"signal":["abnormal"],"user_groups":["ops"]}}}"#
        let ingest = try tick(["ingest", "-"], expect: 1, stdin: event + "\n")
        XCTAssertTrue(ingest.stderr.contains("stdin line 1: unknown field 'stratgy' ignored (did you mean 'strategy'?)"), ingest.stderr)
        XCTAssertFalse(ingest.stdout.isEmpty, "the event was still ingested")
    }

    func testControlCharactersAndInvalidUTF8_inInput_areEscapedInMessages_andReportedByLine() throws {
        var input = Data(#"{"signal":"ab\u0000cd\u001b[31mred","action_plugin":{"plugin_type":"webhook"}}"#.utf8) + Data("\n".utf8)
        input += Data(#"{"signal":"abnormal","alert":{"name":""#.utf8) + Data([0xFF, 0xFE]) + Data(#""},"action_plugin":{"plugin_type":"webhook"}}"#.utf8) + Data("\n".utf8)
        input += Data((good(1).jsonText + "\n").utf8)
        let file = dir.file("ctl.jsonl")
        try input.write(to: URL(fileURLWithPath: file))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binaries.path("fta-tick"))
        p.arguments = arguments(["enqueue", file])
        let err = Pipe(), out = Pipe()
        p.standardError = err
        p.standardOutput = out
        try p.run()
        let raw = err.fileHandleForReading.readDataToEndOfFile()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 1)
        XCTAssertFalse(raw.contains(0x00), "no NUL reaches the terminal")
        XCTAssertFalse(raw.contains(0x1B), "no ESC reaches the terminal")
        let text = String(decoding: raw, as: UTF8.self)
        XCTAssertTrue(text.contains(#"ctl.jsonl line 1: signal: 'ab\0cd\x1b[31mred' is not a signal"#), text)
        XCTAssertTrue(text.contains("ctl.jsonl line 2: invalid JSON at byte ") && text.contains(": invalid UTF-8"), text)
        XCTAssertEqual(try status()["total"]?.intValue, 1, "the good line was stored")
    }

    func testLogFormatJSON_everyStderrLineIsJSON_includingPerLineReports() throws {
        let lines = [good(1).jsonText, "{not json", Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["extra": 1]).jsonText].joined(separator: "\n")
        let r = try tick(["enqueue", "--log-format", "json", "-"], expect: 1, stdin: lines + "\n")
        let objects = try r.stderr.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        let bad = try XCTUnwrap(objects.first { $0["line"]?.intValue == 2 })
        XCTAssertEqual(bad["level"]?.stringValue, "error")
        XCTAssertEqual(bad["source"]?.stringValue, "stdin")
        XCTAssertTrue(bad["message"]?.stringValue?.hasPrefix("invalid JSON") ?? false, "\(bad)")
        XCTAssertEqual(objects.first { $0["line"]?.intValue == 3 }?["level"]?.stringValue, "warning")
    }

    func testLogLevelAndFormat_acceptTheSameWay_andRefuseTheSameWay() throws {
        for args in [["--log-level", "TRACE"], ["--log-format", "JSON"], ["--log-level", "critical", "--log-format", "Text"]] {
            try tick(["status"] + args, without: .now)
        }
        let level = try tick(["status", "--log-level", "verbose"], without: .now, expect: 2)
        XCTAssertTrue(level.stderr.contains("--log-level: 'verbose' is not one of trace, debug, info, notice, warning, error, critical"), level.stderr)
        let format = try tick(["status", "--log-format", "xml"], without: .now, expect: 2)
        XCTAssertTrue(format.stderr.contains("--log-format: 'xml' is not one of text, json"), format.stderr)
        let help = try tick(["run", "--help"], without: [.db, .now], expect: nil).stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        XCTAssertTrue(help.contains("trace, debug, info, notice, warning, error, critical"), help)
    }

    /// A YAML file whose nested aliases expand to 9^9 values ("billion laughs").
    func bomb(_ top: String) -> String {
        var yaml = top + "\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for i in 1..<names.count {
            let p = names[i - 1]
            yaml += "  \(names[i]): &\(names[i]) [" + Array(repeating: "*\(p)", count: 9).joined(separator: ",") + "]\n"
        }
        return yaml
    }

    func testYAMLAliasBombs_areRefusedQuickly_withBoundedMemory() throws {
        let runs: [(String, [String])] = [
            ("fta-tick", arguments(["status", "--config", try dir.write("bomb-config.yaml", bomb("tick:"))], without: .now)),
            ("fta-tick", arguments(["groups", "import", try dir.write("bomb-groups.yaml", bomb("user_groups:"))], without: .now)),
            ("fta-rota", arguments(["import", try dir.write("bomb-rota.yaml", bomb("duty_rules:"))], without: .now)),
        ]
        for (tool, args) in runs {
            let started = Date()
            let r = try Binaries.run("/usr/bin/time", ["-f", "maxrss_kb=%M", Binaries.path(tool)] + args)
            let seconds = Date().timeIntervalSince(started)
            XCTAssertEqual(r.status, 2, "\(tool) \(args[0]): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("expands to more than 1000000 values"), r.stderr)
            XCTAssertLessThan(seconds, 15, "refused quickly (the old behaviour ran for minutes)")
            let rss = r.stderr.split(separator: "\n").first { $0.hasPrefix("maxrss_kb=") }.flatMap { Int($0.dropFirst(10)) } ?? Int.max
            XCTAssertLessThan(rss, 512 * 1024, "peak memory \(rss) KB (the old behaviour grew past 3 GB)")
        }
    }

    func testYAMLSyntaxErrors_nameFileLineAndColumn_butNeverEchoTheLine() throws {
        let config = try writeConfig("elasticsearch:\n  url: http://es:9200\n  password: hunter2-top-secret [\n" + String(repeating: "x", count: 200_000) + "\n",
                                     name: "secret.yaml")
        let r = try tick(["status"], without: .now, expect: 2)
        XCTAssertFalse(r.stderr.contains("hunter2"), r.stderr)
        XCTAssertTrue(r.stderr.contains("config \(config): invalid YAML at line "), r.stderr)
        XCTAssertLessThan(r.stderr.utf8.count, 400, "one short line: \(r.stderr.utf8.count) bytes")
    }
}
