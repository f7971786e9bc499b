import BatchKit
import FTATestSupport
import Foundation
import XCTest

/// Local script actions: argv without a shell, exit codes, the timeout that kills the process
/// group, and the allow-list.
final class ScriptTests: XCTestCase {
    var dir: TemporaryDirectory!
    var db: String { dir.file("fta.db") }
    var config: String!
    var bin: String { dir.file("bin") }
    let t0: Int64 = 1_795_000_000

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        func script(_ name: String, _ body: String) throws {
            let path = bin + "/" + name
            try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o755)
        }
        try script("hello", #"echo "hello $1 from $FTA_ALERT_ID in $(pwd)""#)
        try script("fail", #"echo "disk is read-only" >&2; exit 3"#)
        try script("args", #"for a in "$@"; do echo "[$a]"; done"#)
        try script("slow", "sleep 30 & echo $! > \(dir.file("child.pid")); sleep 30")
        config = try dir.write("fta.yaml", "tick: {allowed_scripts: [\"\(bin)/\"]}\n")
    }

    func action(_ command: [String], timeout: Double? = nil, cwd: String? = nil, alertName: String = "CPU high") -> JSONValue {
        var detail: [String: JSONValue] = ["command": .array(command.map { .string($0) })]
        if let timeout { detail["timeout"] = .double(timeout) }
        if let cwd { detail["cwd"] = .string(cwd) }
        return ["signal": "abnormal", "strategy_id": 7, "alerts": ["a1"], "alert": ["id": "a1", "alert_name": .string(alertName)],
                "action_plugin": ["plugin_type": "script"],
                "action_config": ["id": 30, "name": "fix it", "execute_config": ["template_detail": .object(detail)]]]
    }

    func runOne(_ line: JSONValue) throws -> JSONValue {
        let e = try Binaries.run("fta-tick", ["enqueue", "--db", db, "--config", config, "--now", "\(t0)", "-"], stdin: Actions.lines([line]))
        XCTAssertEqual(e.status, 0, e.stderr)
        let id = try XCTUnwrap(e.stdout.split(separator: "\n").last.map(String.init))
        let r = try Binaries.run("fta-tick", ["run", "--db", db, "--config", config, "--now", "\(t0)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try JSONParser.parse(try Binaries.run("fta-tick", ["show", "--db", db, "--json", id]).stdout)["action"] ?? .null
    }

    func testExit0_success_withStdoutInOutputs() throws {
        let row = try runOne(action([bin + "/hello", "{{ alert.alert_name }}"], cwd: dir.path))
        XCTAssertEqual(row["status"], "success")
        XCTAssertEqual(row["outputs"]?["exit_code"], 0)
        XCTAssertEqual(row["outputs"]?["stdout"], .string("hello CPU high from a1 in \(dir.path)\n"))
    }

    func testExit3_failure_withStderr() throws {
        let row = try runOne(action([bin + "/fail"]))
        XCTAssertEqual(row["status"], "failure")
        XCTAssertEqual(row["outputs"]?["exit_code"], 3)
        XCTAssertTrue(row["ex_data"]?["message"]?.stringValue?.contains("exited 3: disk is read-only") ?? false, "\(row)")
    }

    func testPastTheTimeout_killedWithItsChildren_andFails() throws {
        let row = try runOne(action([bin + "/slow"], timeout: 1))
        XCTAssertEqual(row["status"], "failure")
        XCTAssertTrue(row["ex_data"]?["message"]?.stringValue?.contains("killed after 1.0 s (timeout)") ?? false, "\(row)")
        let child = try XCTUnwrap(Int32(String(contentsOfFile: dir.file("child.pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Gone, or a zombie waiting for whoever inherited it to reap it: not running.
        var state = ""
        for _ in 0..<20 {
            state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first.map(String.init) ?? "gone"
            if state == "gone" || state == "Z" || state == "X" { break }
            usleep(100_000)
        }
        XCTAssertTrue(["gone", "Z", "X"].contains(state), "the background child was killed too (state \(state))")
    }

    func testATemplateArgumentWithShellSyntax_arrivesAsOneLiteralArgument() throws {
        let row = try runOne(action([bin + "/args", "{{ alert.alert_name }}", "plain"], alertName: "x; rm -rf / && echo pwned"))
        XCTAssertEqual(row["status"], "success")
        XCTAssertEqual(row["outputs"]?["stdout"], "[x; rm -rf / && echo pwned]\n[plain]\n")
    }

    func testProgramsOutsideTheAllowList_areRefusedAtEnqueue() throws {
        let r = try Binaries.run("fta-tick", ["enqueue", "--db", db, "--config", config, "--now", "\(t0)", "-"], stdin: Actions.lines([action(["/bin/rm", "-rf", "/tmp/x"])]))
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("line 1: action_config.execute_config.template_detail.command[0]: '/bin/rm' is not in tick.allowed_scripts"), r.stderr)
        let off = try Binaries.run("fta-tick", ["enqueue", "--db", db, "--now", "\(t0)", "-"], stdin: Actions.lines([action([bin + "/hello"])]))
        XCTAssertTrue(off.stderr.contains("script actions are off"), off.stderr)
    }
}
