import Foundation
import FTACore
import FTATestSupport
import XCTest

/// Local script actions: argv without a shell, exit codes, the timeout that kills the process
/// group, and the allow-list.
final class ScriptTests: EndToEndCase {
    var bin: String { dir.file("bin") }

    override func setUpWithError() throws {
        try super.setUpWithError()
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
        try script("envdump", "touch \(dir.file("ran")); env | sort; printf 'one\\ntwo\\n' >&2; exit 1")
        try writeConfig("tick: {allowed_scripts: [\"\(bin)/\"]}\n")
    }

    func action(_ command: [String], timeout: Double? = nil, cwd: String? = nil, alertName: String = "CPU high", env: [String: JSONValue]? = nil) -> JSONValue {
        var detail: [String: JSONValue] = ["command": .array(command.map { .string($0) })]
        if let env { detail["env"] = .object(env) }
        if let timeout { detail["timeout"] = .double(timeout) }
        if let cwd { detail["cwd"] = .string(cwd) }
        return ["signal": "abnormal", "strategy_id": 7, "alerts": ["a1"], "alert": ["id": "a1", "alert_name": .string(alertName)],
                "action_plugin": ["plugin_type": "script"],
                "action_config": ["id": 30, "name": "fix it", "execute_config": ["template_detail": .object(detail)]]]
    }

    func runOne(_ action: JSONValue, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        let e = try tick(["enqueue", "-"], stdin: Actions.lines([action]), file: file, line: line)
        let id = try XCTUnwrap(e.stdout.split(separator: "\n").last.map(String.init))
        try tick(["run"], file: file, line: line)
        return try show(id)
    }

    /// The action as `fta-tick show --json` prints it.
    func show(_ id: String) throws -> JSONValue {
        try json(tick(["show", "--json", id], without: [.now, .config], expect: nil))["action"] ?? .null
    }

    func testExit0_success_withStdoutInOutputs() throws {
        let row = try runOne(action([bin + "/hello", "{{ alert.alert_name }}"], cwd: dir.path))
        XCTAssertEqual(row["status"], "success")
        XCTAssertEqual(row["outputs"]?["exit_code"], 0)
        XCTAssertEqual(row["outputs"]?["stdout"], .string("hello CPU high from a1 in \(dir.path)\n"))
    }

    /// Webhooks and scripts in one queue, two at a time: the transfer thread starts the webhooks
    /// next in line itself and leaves each script to a worker; every action runs exactly once.
    func testWebhooksAndScriptsMixed_twoAtATime_eachRunsOnce() throws {
        let receiver = try Receiver()
        defer { receiver.stop() }
        var lines: [JSONValue] = []
        for i in 0..<60 {
            lines.append(Actions.webhook(url: receiver.baseURL + "/hook", alertId: "w\(i)"))
            if i % 10 == 9 { lines.append(action([bin + "/hello", "s\(i)"], cwd: dir.path)) }
        }
        XCTAssertEqual(ids(try tick(["enqueue", "-"], stdin: Actions.lines(lines))).count, 66)
        let report = try json(tick(["run", "--concurrency", "2", "--json"]))
        XCTAssertEqual(report["succeeded"]?.intValue, 66, "\(report)")
        let rows = try actionRows()
        XCTAssertEqual(rows.filter { $0.status == "success" && $0.executeTimes == 1 }.count, 66)
        let alerts = try receiver.requests().compactMap { try? JSONParser.parse($0["body"]?.stringValue ?? "")["alert"]?.stringValue }
        XCTAssertEqual(alerts.count, 60)
        XCTAssertEqual(Set(alerts), Set((0..<60).map { "w\($0)" }), "each webhook received once")
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
        let r = try tick(["enqueue", "-"], expect: 1, stdin: Actions.lines([action(["/bin/rm", "-rf", "/tmp/x"])]))
        XCTAssertTrue(r.stderr.contains("line 1: action_config.execute_config.template_detail.command[0]: '/bin/rm' is not in tick.allowed_scripts"), r.stderr)
        let off = try tick(["enqueue", "-"], without: .config, expect: nil, stdin: Actions.lines([action([bin + "/hello"])]))
        XCTAssertTrue(off.stderr.contains("script actions are off"), off.stderr)
    }

    func testEnvironment_loaderAndPathVariables_areRefusedAtEnqueue_namingTheVariable() throws {
        for (name, expected) in [("LD_PRELOAD", "LD_PRELOAD may not be set by an action"), ("PATH", "PATH may not be set"),
                                 ("LD_LIBRARY_PATH", "LD_LIBRARY_PATH may not be set"), ("PYTHONPATH", "PYTHONPATH may not be set"),
                                 ("BAD NAME", "is not a variable name")] {
            let r = try tick(["enqueue", "-"], expect: 1, stdin: Actions.lines([action([bin + "/envdump"], env: [name: "/tmp/evil.so"])]))
            XCTAssertTrue(r.stdout.isEmpty, "nothing stored")
            XCTAssertTrue(r.stderr.contains("line 1: action_config.execute_config.template_detail.env.\(name): ") && r.stderr.contains(expected), r.stderr)
        }
    }

    func testEnvironment_aStoredRowThatSetsLD_PRELOAD_isRefusedAtRunTime_andTheProgramNeverRuns() throws {
        let e = try tick(["enqueue", "-"], expect: nil, stdin: Actions.lines([action([bin + "/envdump"], env: ["SERVICE": "nginx"])]))
        let id = try XCTUnwrap(Int64(e.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), e.stderr)
        // Written around enqueue's check, as an older fta or a hand-edited row would be.
        let tampered: JSONValue = ["id": 30, "name": "fix it", "execute_config": ["template_detail": [
            "command": .array([.string(bin + "/envdump")]), "env": ["SERVICE": "nginx", "LD_PRELOAD": .string(dir.file("evil.so"))]]]]
        try DatabaseTamper.setActionConfig(db, id: id, tampered.jsonText)
        try tick(["run"])
        let row = try show("\(id)")
        XCTAssertEqual(row["status"], "failure")
        XCTAssertTrue(row["ex_data"]?["message"]?.stringValue?.contains("not run: action_config.execute_config.template_detail.env.LD_PRELOAD") ?? false, "\(row)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("ran")), "the program did not run")
    }

    func testEnvironment_theConfiguredAllowList_limitsNames_andTheProgramSeesOnlyThoseAndFtasOwn() throws {
        try writeConfig("tick: {allowed_scripts: [\"\(bin)/\"], script_env: [SERVICE]}\n", name: "strict.yaml")
        let refused = try tick(["enqueue", "-"], expect: nil, stdin: Actions.lines([action([bin + "/envdump"], env: ["OTHER": "x"])]))
        XCTAssertTrue(refused.stderr.contains("env.OTHER: OTHER is not in tick.script_env"), refused.stderr)
        let row = try runOne(action([bin + "/envdump"], env: ["SERVICE": "nginx"]))
        let names = Set((row["outputs"]?["stdout"]?.stringValue ?? "").split(separator: "\n").compactMap { $0.split(separator: "=").first.map(String.init) })
        // The shell adds PWD, SHLVL and _ itself.
        XCTAssertEqual(names.subtracting(["PWD", "SHLVL", "_"]), ["SERVICE", "PATH", "LANG", "FTA_ACTION_ID", "FTA_SIGNAL", "FTA_ALERT_ID"])
    }

    func testAMissingWorkingFolder_isReportedAsSuch_notAsAMissingProgram() throws {
        let row = try runOne(action([bin + "/hello"], cwd: dir.file("no-such-folder")))
        XCTAssertEqual(row["status"], "failure")
        let message = row["ex_data"]?["message"]?.stringValue ?? ""
        XCTAssertTrue(message.contains("its working folder \(dir.file("no-such-folder")) (template_detail.cwd) does not exist"), message)
        XCTAssertFalse(message.contains("cannot run"), message)
    }

    func testMultiLineScriptOutput_staysOneLogLine_inTextAndJSON() throws {
        try tick(["enqueue", "-"], stdin: Actions.lines([action([bin + "/envdump"])]))
        for format in ["text", "json"] {
            let r = try tick(["run", "--log-format", format], expect: nil)
            let lines = r.stderr.split(separator: "\n")
            let failure = try XCTUnwrap(lines.first { $0.contains("exited 1") }, r.stderr)
            XCTAssertTrue(failure.contains("one\\ntwo"), "the newline is escaped, not kept: \(failure)")
            if format == "json" {
                for l in lines { XCTAssertNoThrow(try JSONParser.parse(String(l)), "every stderr line is JSON: \(l)") }
            }
            try tick(["retry", "1"], without: .config, expect: nil)
        }
    }
}
