import Foundation
import FTACore
import FTATestSupport
import XCTest

/// What happens around a run: signals, the metrics file, long templates, broken, read-only and
/// newer databases, and operator commands that find nothing to do.
final class ProcessSafetyTests: EndToEndCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        // Writing to a child that was just killed must fail the write, not end the test process.
        signal(SIGPIPE, SIG_IGN)
    }

    func line(_ i: Int) -> String {
        Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["dedupe_key": .string("k\(i)")], alertId: "a\(i)").jsonText
    }

    func total() throws -> Int64? {
        try json(tick(["status", "--json"], without: .now, expect: nil))["total"]?.intValue
    }

    /// Starts an enqueue reading from a pipe, feeds it `lines`, waits until it has printed
    /// `committed` ids, then sends `signal`. Returns exit status, stdout ids and stderr.
    func interruptedEnqueue(_ lines: [String], committed: Int, signal: Int32) throws -> (Int32, [Int64], String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binaries.path("fta-tick"))
        p.arguments = arguments(["enqueue", "-"])
        let input = Pipe(), output = Pipe(), errors = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = errors
        try p.run()
        let data = Data((lines.joined(separator: "\n") + "\n").utf8)
        let written = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            try? input.fileHandleForWriting.write(contentsOf: data)   // left open: more may come
            written.signal()
        }
        final class Box: @unchecked Sendable { var data = Data() }
        let err = Box()
        let errDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { err.data = errors.fileHandleForReading.readDataToEndOfFile(); errDone.signal() }
        var out = Data()
        let deadline = Date().addingTimeInterval(60)
        while out.filter({ $0 == 0x0A }).count < committed, Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            out += chunk
        }
        // Every line fed has been read and parsed: the write returned, the pipe is empty (the
        // process read what the write left in it), and then half a second to parse the last read.
        _ = written.wait(timeout: .now() + 60)
        // (The pipe is reopened through /proc: this process's copy of the read end was closed
        // when the child started.)
        let pipe = open("/proc/\(p.processIdentifier)/fd/0", O_RDONLY | O_NONBLOCK)
        if pipe >= 0 {
            let drained = Date().addingTimeInterval(60)
            var pending: Int32 = 1
            while Date() < drained, ioctl(pipe, UInt(FIONREAD), &pending) == 0, pending > 0 { usleep(10_000) }
            close(pipe)
        }
        usleep(500_000)
        kill(p.processIdentifier, signal)
        out += output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        errDone.wait()
        try? input.fileHandleForWriting.close()
        let ids = String(decoding: out, as: UTF8.self).split(separator: "\n").compactMap { Int64($0) }
        return (p.terminationStatus, ids, String(decoding: err.data, as: UTF8.self))
    }

    func testEnqueue_stoppedBySIGTERM_saysHowFarItGot_andARerunStoresExactlyTheRest() throws {
        let lines = (0..<12_000).map(line)
        let (status, ids, stderr) = try interruptedEnqueue(Array(lines.prefix(6_000)), committed: 5_000, signal: SIGTERM)
        XCTAssertEqual(status, 1, stderr)
        XCTAssertEqual(ids.count, 6_000, "both batches read before the signal were committed and printed")
        XCTAssertTrue(stderr.contains("stdin: stopped by a signal after line 6000: lines 1-6000 are committed"), stderr)
        XCTAssertEqual(try total(), 6_000)
        let file = try dir.write("all.jsonl", lines.joined(separator: "\n") + "\n")
        let rerun = try tick(["enqueue", "--json", file])
        let batches = try rerun.stdout.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        XCTAssertEqual(batches.map { $0["lines"]?.arrayValue?.compactMap(\.intValue) ?? [] }, [[1, 5_000], [5_001, 10_000], [10_001, 12_000]])
        XCTAssertEqual(batches.reduce(0) { $0 + ($1["stored"]?.arrayValue?.count ?? 0) }, 6_000)
        XCTAssertEqual(batches.reduce(0) { $0 + ($1["duplicates"]?.arrayValue?.count ?? 0) }, 6_000)
        XCTAssertEqual(try total(), 12_000)
    }

    func testEnqueue_killedWith9_hadAlreadyPrintedEachCommittedBatch_andARerunStoresExactlyTheRest() throws {
        let lines = (0..<12_000).map(line)
        let (_, ids, _) = try interruptedEnqueue(Array(lines.prefix(6_000)), committed: 5_000, signal: SIGKILL)
        XCTAssertEqual(ids.count, 5_000, "the committed batch was on stdout before the kill")
        XCTAssertEqual(try total(), 5_000, "and exactly that is stored")
        let file = try dir.write("all.jsonl", lines.joined(separator: "\n") + "\n")
        let rerun = try tick(["enqueue", file])
        XCTAssertEqual(rerun.stdout.split(separator: "\n").count, 7_000)
        XCTAssertEqual(try total(), 12_000)
    }

    func testSIGHUP_endsAPassLikeSIGTERM_releasingWhatItHasNotStarted() throws {
        let receiver = try startReceiver()
        try receiver.script(path: "/slow", delay: 1)
        let actions = (0..<20).map { Actions.webhook(url: "\(receiver.baseURL)/slow", alertId: "s\($0)") }
        try tick(["enqueue", "-"], without: .now, stdin: Actions.lines(actions))
        let pass = try start("fta-tick", ["run", "--concurrency", "2"], without: .now)
        usleep(500_000)
        let sent = Date()
        kill(pass.process.processIdentifier, SIGHUP)
        pass.process.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(sent), 5, "stopped after the requests in flight")
        XCTAssertEqual(pass.process.terminationReason, .exit, "exited, not killed by the signal")
        XCTAssertEqual(pass.process.terminationStatus, 0)
        let s = try json(tick(["status", "--json"], without: .now, expect: nil))
        XCTAssertEqual(s["leased_now"]?.intValue, 0, "no claim left behind: \(s)")
        XCTAssertEqual(s["by_status"]?["success"]?.intValue, 2, "the two in flight finished and were recorded: \(s)")
        XCTAssertEqual(s["due_now"]?.intValue, 18, "the rest are due again at once: \(s)")
    }

    func testMetricsFile_thatIsADeviceFolderOrLink_isRefused_andLeftAsItWas() throws {
        let folder = dir.file("metrics-dir")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let target = try dir.write("elsewhere.prom", "keep me\n")
        let link = dir.file("link.prom")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        for (path, what) in [("/dev/null", "a device"), (folder, "a folder"), (link, "a symbolic link")] {
            let r = try tick(["run", "--metrics-file", path], without: .now, expect: 2)
            XCTAssertTrue(r.stderr.contains("--metrics-file \(path): is \(what)"), r.stderr)
        }
        var st = stat()
        XCTAssertEqual(stat("/dev/null", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "keep me\n")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), target)
        try tick(["run", "--metrics-file", dir.file("fta.prom")], without: .now)
        XCTAssertTrue(try String(contentsOfFile: dir.file("fta.prom"), encoding: .utf8).contains("fta_tick_"))
    }

    func testTemplatesThatWouldRunForMinutes_failTheirAction_andThePassKeepsItsRuntime() throws {
        let receiver = try startReceiver()
        let loops = "{% for a in alert.items %}{% for b in alert.items %}{% for c in alert.items %}x{% endfor %}{% endfor %}{% endfor %}"
        let items = JSONValue.array((0..<300).map { .int(Int64($0)) })
        let heavy = (0..<6).map { i in
            Actions.webhook(url: "\(receiver.baseURL)/hook", extra: ["alert": ["id": .string("h\(i)"), "items": items]], detail: ["body": ["data_type": "raw", "content": .string(loops)]], alertId: "h\(i)")
        }
        let range = Actions.webhook(url: "\(receiver.baseURL)/hook", detail: ["body": ["data_type": "raw", "content": "{% for i in 1...1000000000 %}x{% endfor %}"]], alertId: "r")
        let indent = Actions.webhook(url: "\(receiver.baseURL)/hook", detail: ["body": ["data_type": "raw", "content": "{{ alert.id|indent:1000000000 }}"]], alertId: "i")
        // The two quick failures first, so they run before the runtime limit releases the rest.
        try tick(["enqueue", "-"], without: .now, stdin: Actions.lines([range, indent] + heavy))
        let started = Date()
        let r = try tick(["run", "--concurrency", "1", "--max-runtime", "3"], without: .now)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3 + 5, "the pass kept close to --max-runtime")
        // Stopped by the iteration limit, or by the time limit when this machine (a debug build)
        // renders 100,000 iterations more slowly than 2 s; either way the action fails.
        XCTAssertTrue(r.stderr.contains("rendering stopped: more than 100000 loop iterations (the limit per template)")
                      || r.stderr.contains("rendering stopped: it took longer than 2 s (the limit per template)"), r.stderr)
        let rows = try (1...8).map { try json(tick(["show", "--json", "\($0)"], without: .now, expect: nil))["action"] ?? .null }
        XCTAssertTrue(rows.contains { $0["ex_data"]?["message"]?.stringValue?.contains("a range (a...b) in a template may hold at most 100000 numbers") ?? false }, "\(rows.map { $0["ex_data"] })")
        XCTAssertTrue(rows.contains { $0["ex_data"]?["message"]?.stringValue?.contains("'indent' width must be 0...100") ?? false })
        XCTAssertTrue(try receiver.requests().isEmpty, "none of them was sent")

        // SIGTERM while a worker renders: the pass still ends within seconds.
        for id in 3...8 { try tick(["retry", "\(id)"], without: .now, expect: nil) }
        let pass = try start("fta-tick", ["run", "--concurrency", "2"], without: .now)
        usleep(300_000)
        let signalled = Date()
        kill(pass.process.processIdentifier, SIGTERM)
        pass.process.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 5)
        XCTAssertEqual(pass.process.terminationStatus, 0)
    }

    func testRetryOfAnUnknownId_andSkipOfAFinishedOne_sayWhyOnStderr() throws {
        let e = try tick(["enqueue", "-"], without: .now, expect: nil, stdin: Actions.lines([Actions.webhook(url: "http://127.0.0.1:1/x")]))
        let id = e.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try tick(["skip", id, "--reason", "by hand"], without: .now)
        let retry = try tick(["retry", "424242"], without: .now, expect: 1)
        XCTAssertEqual(retry.stderr.trimmingCharacters(in: .newlines), "fta-tick: action 424242: not found; nothing queued for retry")
        let skip = try tick(["skip", id, "--reason", "again"], without: .now, expect: 1)
        XCTAssertEqual(skip.stderr.trimmingCharacters(in: .newlines), "fta-tick: action \(id): refused: already finished (status skipped)")
    }

    func testACorruptDatabase_foundByOneCommand_isRefusedByEveryCommand() throws {
        try skipOnPostgres()
        let lines = (0..<300).map { i in
            Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["alert": ["id": .string("a\(i)"), "pad": .string(String(repeating: "y", count: 300))]], alertId: "a\(i)").jsonText
        }
        try tick(["enqueue", "-"], without: .now, stdin: lines.joined(separator: "\n") + "\n")
        // Pages in the second half of the file: the action rows (the tables' root pages come first).
        let size = try DatabaseTamper.checkpointedSize(db)
        for part in [2, 3, 4] { try DatabaseTamper.scribble(db, offset: size * part / 5 / 8192 * 8192, count: 4_000) }
        let run = try tick(["run"], without: .now, expect: 3)
        XCTAssertTrue(run.stderr.contains("database disk image is malformed"), run.stderr)
        for args in [["enqueue", "-"], ["status"], ["show", "1"], ["retry", "1"]] {
            let r = try tick(args, without: .now, expect: 3, stdin: lines[0] + "\n")
            XCTAssertTrue(r.stderr.contains("database \(db): found corrupt (database disk image is malformed, found by fta-tick"), r.stderr)
            XCTAssertTrue(r.stderr.contains("then delete \(db).corrupt"), r.stderr)
        }
        try sync(["--dry-run"], without: .now, expect: 3)
    }

    func testANewerSchema_isNamedByTheDatabasePath() throws {
        try tick(["status"], without: .now)
        try DatabaseTamper.setSchemaVersion(db, 99)
        let r = try tick(["status"], without: .now, expect: 3)
        XCTAssertTrue(r.stderr.contains("database \(db): schema version 99 is newer than this fta"), r.stderr)
    }

    func testAReadOnlyFileSystem_isReportedAsReadOnly() throws {
        try skipOnPostgres()
        let mountPoint = dir.file("ro")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try Binaries.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint])
        try XCTSkipIf(mount.status != 0, "cannot mount a file system here: \(mount.stderr)")
        defer { _ = try? Binaries.run("/bin/umount", [mountPoint]) }
        let existing = mountPoint + "/fta.db"
        try tick(["status", "--db", existing], without: [.db, .now])
        XCTAssertEqual(try Binaries.run("/bin/mount", ["-o", "remount,ro", mountPoint]).status, 0)
        for path in [existing, mountPoint + "/new.db"] {
            let r = try tick(["enqueue", "--db", path, "-"], without: [.db, .now], expect: 3, stdin: line(1) + "\n")
            XCTAssertTrue(r.stderr.contains("database \(path): the file system is read-only"), r.stderr)
        }
    }

    func testCommandsCreatingTheSameNewFileAtOnce_allSucceed() throws {
        try skipOnPostgres()
        // Switching a new file to WAL can meet a lock SQLite does not wait on: the open is retried.
        for round in 0..<25 {
            let file = dir.file("new\(round).db")
            let started = try [["run"], ["status", "--json"], ["status"], ["breaker", "list"]].map {
                try Binaries.start("fta-tick", $0 + ["--db", file, "--now", "\(t0)"])
            }
            for p in started {
                let err = p.stderrPipe.fileHandleForReading.readDataToEndOfFile()
                p.process.waitUntilExit()
                XCTAssertEqual(p.process.terminationStatus, 0, "round \(round): \(String(decoding: err, as: UTF8.self))")
            }
        }
    }
}
