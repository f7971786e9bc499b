import Foundation
import FTACore
import FTATestSupport
import XCTest

/// Every bad input gets one clear line on stderr, the documented exit code, and loses nothing.
final class BadInputTests: EndToEndCase {
    func errorLines(_ r: CommandResult) -> [String] {
        r.stderr.split(separator: "\n").map(String.init).filter { $0.contains("error") || $0.contains("line ") }
    }

    func testEnqueue_badLines_areReportedWithTheirNumber_goodLinesStored_exit1() throws {
        let good = Actions.webhook(url: "http://127.0.0.1:1/x").jsonText
        let input = [
            good,
            "{\"signal\": \"abnormal\", ",
            Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["action_plugin": ["plugin_type": "pager"]]).jsonText,
            Actions.webhook(url: "http://127.0.0.1:1/x", detail: ["url": .null]).jsonText,
            "",
            good,
            Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["signal": "boom"]).jsonText,
            Actions.webhook(url: "http://127.0.0.1:1/x", timeout: 9000).jsonText,
        ].joined(separator: "\n")
        let file = try dir.write("bad.jsonl", input)
        let r = try tick(["enqueue", file], without: .now, expect: 1)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 2, "the two good lines were stored")
        XCTAssertTrue(r.stderr.contains("bad.jsonl line 2: invalid JSON"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 3: action_plugin.plugin_type: unknown plugin type 'pager'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 4: action_config.execute_config.template_detail.url: missing"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 7: signal: 'boom' is not a signal"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 8: action_config.execute_config.timeout: 9000 is out of range"), r.stderr)
        let status = try json(tick(["status", "--json"], without: .now, expect: nil))
        XCTAssertEqual(status["total"]?.intValue, 2)
    }

    func testEnqueue_fromStdin_unsupportedPluginType_isRefused() throws {
        let line = Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["action_plugin": ["plugin_type": "authorize"]]).jsonText
        let r = try tick(["enqueue", "-"], without: .now, expect: 1, stdin: line + "\n")
        XCTAssertTrue(r.stderr.contains("stdin line 1: action_plugin.plugin_type: 'authorize' is not supported"), r.stderr)
    }

    func testDatabaseThatIsAFolder_exit3_oneLine() throws {
        try skipOnPostgres()
        let folder = dir.file("adir")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let r = try tick(["run", "--db", folder], without: [.db, .now], expect: 3)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("database \(folder): is a folder"), r.stderr)
    }

    func testDatabaseInAMissingFolder_exit3() throws {
        try skipOnPostgres()
        let r = try tick(["status", "--db", dir.file("nope/fta.db")], without: [.db, .now], expect: 3)
        XCTAssertTrue(r.stderr.contains("folder") && r.stderr.contains("does not exist"), r.stderr)
    }

    func testCorruptDatabase_exit3_oneLine() throws {
        try skipOnPostgres()
        let path = try dir.write("corrupt.db", String(repeating: "this is not sqlite ", count: 400))
        let r = try tick(["run", "--db", path], without: [.db, .now], expect: 3)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("not a database"), r.stderr)
    }

    func testBadConfig_exit2_namingFileAndSetting() throws {
        let cases: [(String, String)] = [
            ("tick:\n  concurrency: lots\n", "tick.concurrency: expected a number"),
            ("tick:\n  concurency: 4\n", "tick.concurency: unknown setting"),
            ("ticks:\n  batch: 4\n", "unknown section 'ticks'"),
            ("tick: [1, 2\n", "invalid YAML"),
            ("tick:\n  user_agent: ${FTA_TEST_UNSET_VARIABLE}\n", "environment variable FTA_TEST_UNSET_VARIABLE is not set"),
        ]
        for (text, expected) in cases {
            let path = try dir.write("c.yaml", text)
            let r = try tick(["run", "--config", path], without: .now, expect: 2)
            XCTAssertTrue(r.stderr.contains("config \(path): ") && r.stderr.contains(expected), "\(text) -> \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        let missing = try tick(["status", "--config", dir.file("none.yaml")], without: .now, expect: 2)
        XCTAssertTrue(missing.stderr.contains("cannot read"), missing.stderr)
    }

    func testUsageErrors_exit2() throws {
        let now = try tick(["run"], now: "yesterday", expect: 2)
        XCTAssertTrue(now.stderr.contains("--now: 'yesterday'"), now.stderr)
        try tick(["run", "--no-such-flag"], without: .now, expect: 2)
        try tick(["skip", "1"], without: .now, expect: 2)   // skip needs --reason
        let show = try tick(["show", "12345"], without: .now, expect: 2)
        XCTAssertTrue(show.stderr.contains("no action with id 12345"))
    }

    func testCommandsMissingWhatTheyNeed_sayWhatInOneLine_exit2() throws {
        let noURL = try sync([], without: .now, expect: 2)
        XCTAssertEqual(noURL.stderr.split(separator: "\n").count, 1)
        XCTAssertTrue(noURL.stderr.contains("elasticsearch.url"), noURL.stderr)
        let who = try rota(["who", "nobody"], without: .now, expect: 2)
        XCTAssertEqual(who.stderr, "fta-rota: error: group 'nobody' is not known (no duty groups are stored; see fta-rota import)\n")
    }

    func testEnvironmentVariables_selectDatabaseAndClock() throws {
        let line = Actions.webhook(url: "http://127.0.0.1:1/x").jsonText
        try tick(["enqueue", "-"], without: [.db, .now], stdin: line + "\n", environment: ["FTA_DB": db, "FTA_NOW": "2026-11-23T10:00:00Z"])
        let row = try json(tick(["show", "--json", "1"], without: .now, expect: nil))
        XCTAssertEqual(row["action"]?["create_time"]?.intValue, TimeParser.parse("2026-11-23T10:00:00Z"))
    }
}
