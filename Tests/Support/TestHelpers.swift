import Foundation
import FTACore
import FTATransport

/// Output of one run of a command.
package struct CommandResult {
    package var status: Int32
    package var stdout: String
    package var stderr: String
}

/// Locates and runs the built executables (fta-tick, ...) the way a user would.
package enum Binaries {
    /// The folder holding the executables: next to the test bundle, or `FTA_BIN_DIR`.
    package static let directory: String = {
        if let dir = ProcessInfo.processInfo.environment["FTA_BIN_DIR"] { return dir }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path,
            Bundle.main.bundleURL.deletingLastPathComponent().path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/debug").path,
        ]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c + "/fta-tick") { return c }
        return candidates.last!
    }()

    /// An fta executable by name, or any program by absolute path.
    package static func path(_ name: String) -> String { name.hasPrefix("/") ? name : directory + "/" + name }

    /// Runs `name args`, feeding `stdin`, and waits for it.
    @discardableResult
    package static func run(_ name: String, _ args: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        let process = try start(name, args, environment: environment, stdinText: stdin)
        let out = process.stdoutPipe.fileHandleForReading
        let err = process.stderrPipe.fileHandleForReading
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box(), errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outBox.data = out.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errBox.data = err.readDataToEndOfFile(); group.leave() }
        process.process.waitUntilExit()
        group.wait()
        let outData = outBox.data, errData = errBox.data
        return CommandResult(status: process.process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    package struct Started {
        package let process: Process
        package let stdoutPipe: Pipe
        package let stderrPipe: Pipe
    }

    /// Starts `name args` without waiting (for kill tests and concurrent passes).
    package static func start(_ name: String, _ args: [String], environment: [String: String] = [:], stdinText: String? = nil) throws -> Started {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path(name))
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "FTA_DB"); env.removeValue(forKey: "FTA_CONFIG"); env.removeValue(forKey: "FTA_NOW")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let o = Pipe(), e = Pipe()
        p.standardOutput = o
        p.standardError = e
        if let stdinText {
            let i = Pipe()
            p.standardInput = i
            try p.run()
            let data = Data(stdinText.utf8)
            DispatchQueue.global().async {
                i.fileHandleForWriting.write(data)
                try? i.fileHandleForWriting.close()
            }
        } else {
            p.standardInput = FileHandle.nullDevice
            try p.run()
        }
        return Started(process: p, stdoutPipe: o, stderrPipe: e)
    }
}

/// A temporary folder removed at the end of the test.
package final class TemporaryDirectory {
    package let path: String

    package init() throws {
        let base = NSTemporaryDirectory() + "fta-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    package func file(_ name: String) -> String { path + "/" + name }

    package func write(_ name: String, _ text: String) throws -> String {
        let p = file(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The Python HTTP receiver (Tests/Support/receiver.py) on 127.0.0.1, stopped by PID.
package final class Receiver {
    package let port: Int
    let process: Process
    let client = HTTPClient(maxResponseBytes: 1 << 28)!

    package var baseURL: String { "\(scheme)://127.0.0.1:\(port)" }
    let scheme: String

    package static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("receiver.py").path

    package init(tls: (cert: String, key: String)? = nil) throws {
        var args = [Receiver.script, "0"]
        if let tls { args += ["--tls", tls.cert, tls.key] }
        (process, port) = try PythonServer.start(args, what: "receiver")
        scheme = tls == nil ? "http" : "https"
    }

    deinit { stop() }

    package func stop() { PythonServer.stop(process) }

    private func control(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue {
        let url = "http://127.0.0.1:\(port)\(path)"
        let request = HTTPRequest(method: method, url: url, body: body.map { Array($0.jsonText.utf8) } ?? [], timeout: 30, verifyTLS: false)
        // The control API speaks plain HTTP only when the receiver does.
        precondition(scheme == "http", "control calls need a plain-HTTP receiver")
        switch client.perform(request) {
        case .success(let r): return try JSONParser.parse(r.bodyText)
        case .failure(let e): throw e
        }
    }

    /// Scripts the answers for `path`.
    package func script(path: String, statuses: [Int] = [], delay: Double = 0, headers: [String: String] = [:], body: String? = nil) throws {
        var spec: [String: JSONValue] = ["path": .string(path), "statuses": .array(statuses.map { .int(Int64($0)) }), "delay": .double(delay),
                                         "headers": .object(headers.mapValues { .string($0) })]
        if let body { spec["body"] = .string(body) }
        _ = try control("POST", "/_script", .object(spec))
    }

    /// Every request received so far.
    package func requests() throws -> [JSONValue] {
        try control("GET", "/_requests").arrayValue ?? []
    }
}

/// Starts a Python test server that prints its port on its first line of stdout.
enum PythonServer {
    static func start(_ args: [String], what: String) throws -> (Process, Int) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.standardError
        try p.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            p.terminate()
            throw NSError(domain: "PythonServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(what) did not start"])
        }
        return (p, port)
    }

    static func stop(_ p: Process) {
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
    }
}

/// Builders for enqueue lines.
package enum Actions {
    /// A webhook action line posting JSON to `url`.
    package static func webhook(url: String, method: String = "POST", maxRetryTimes: Int? = nil, retryInterval: Int = 0,
                               requestTimeout: Double = 5, timeout: Int? = nil, extra: [String: JSONValue] = [:],
                               detail: [String: JSONValue] = [:], alertId: String = "a1") -> JSONValue {
        var retry: [String: JSONValue] = ["is_enabled": true, "timeout": .double(requestTimeout), "retry_interval": .int(Int64(retryInterval))]
        retry["max_retry_times"] = .int(Int64(maxRetryTimes ?? -1))
        var templateDetail: [String: JSONValue] = [
            "method": .string(method), "url": .string(url),
            "body": ["data_type": "raw", "content_type": "json", "content": "{\"alert\": \"{{ alert.id }}\", \"action\": \"{{ action.id }}\"}"],
            "failed_retry": .object(retry),
        ]
        for (k, v) in detail { templateDetail[k] = v }
        var execute: [String: JSONValue] = ["template_detail": .object(templateDetail)]
        if let timeout { execute["timeout"] = .int(Int64(timeout)) }
        var line: [String: JSONValue] = [
            "signal": "abnormal", "strategy_id": 7, "bk_biz_id": "2", "alerts": [.string(alertId)],
            "alert": ["id": .string(alertId), "severity": 1],
            "action_plugin": ["plugin_type": "webhook", "plugin_key": "webhook"],
            "action_config": ["id": 5, "name": "test hook", "execute_config": .object(execute)],
        ]
        for (k, v) in extra { line[k] = v }
        return .object(line)
    }

    package static func lines(_ values: [JSONValue]) -> String {
        values.map(\.jsonText).joined(separator: "\n") + "\n"
    }
}

/// The aiosmtpd server (Tests/Support/smtp_server.py) on 127.0.0.1, stopped by PID. Each
/// received message is one JSON line in `log`, decoded by Python's email package.
package final class SMTPServer {
    package let port: Int
    package let log: String
    let process: Process

    package static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("smtp_server.py").path

    package init(log: String, auth: (user: String, password: String)? = nil) throws {
        self.log = log
        var args = [SMTPServer.script, log]
        if let auth { args += ["auth", auth.user, auth.password] }
        (process, port) = try PythonServer.start(args, what: "smtp server (is aiosmtpd installed?)")
    }

    deinit { stop() }

    package func stop() { PythonServer.stop(process) }

    /// Messages received so far.
    package func messages() throws -> [JSONValue] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }
}

/// The Elasticsearch stand-in (Tests/Support/es_fixture.py) on 127.0.0.1.
package final class ESFixture {
    package let port: Int
    let process: Process
    let client = HTTPClient(maxResponseBytes: 1 << 28)!
    package var url: String { "http://127.0.0.1:\(port)" }
    package static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("es_fixture.py").path

    package init(port: Int = 0) throws {
        (process, self.port) = try PythonServer.start([ESFixture.script, "\(port)"], what: "elasticsearch fixture")
    }

    deinit { stop() }

    package func stop() { PythonServer.stop(process) }

    @discardableResult
    package func call(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue {
        let request = HTTPRequest(method: method, url: url + path, headers: [("Content-Type", "application/json")],
                                  body: body.map { Array($0.jsonText.utf8) } ?? [], timeout: 60)
        switch client.perform(request) {
        case .success(let r): return try JSONParser.parse(r.bodyText)
        case .failure(let e): throw e
        }
    }

    package func configure(_ config: JSONValue) throws { try call("POST", "/_fixture/config", config) }
    package func stats() throws -> JSONValue { try call("GET", "/_fixture/stats") }
    /// Every stored document by `_id`: (index, version, source).
    package func documents() throws -> [String: (index: String, version: Int64, source: JSONValue)] {
        var out: [String: (String, Int64, JSONValue)] = [:]
        for hit in try call("POST", "/bkfta_action_*/_search", ["query": ["match_all": [:]]])["hits"]?["hits"]?.arrayValue ?? [] {
            out[hit["_id"]!.stringValue!] = (hit["_index"]!.stringValue!, hit["_version"]!.intValue!, hit["_source"]!)
        }
        return out
    }
}

/// A real Redis server (Debian's redis-server) on a free port of 127.0.0.1, without persistence.
package final class RedisServer {
    package let port: Int
    let process: Process

    package init() throws {
        // A free port: bind to 0, read it, let it go.
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        close(s)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        p.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        process = p
        // Ready when it answers PING.
        for _ in 0..<100 {
            if let r = try? RedisClient(target: .init(host: "127.0.0.1", port: port, password: nil, db: 0, key: ""), timeout: 1).command(["PING"]),
               r == .status("PONG") { return }
            usleep(50_000)
        }
        throw NSError(domain: "RedisServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "redis-server did not start on \(port)"])
    }

    deinit { stop() }

    package func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// The list at `key` (db 0), oldest first.
    package func list(_ key: String) throws -> [String] {
        let client = RedisClient(target: .init(host: "127.0.0.1", port: port, password: nil, db: 0, key: key))
        guard case .array(let items?) = try client.command(["LRANGE", key, "0", "-1"]) else { return [] }
        return items.compactMap { if case .bulk(let b?) = $0 { return String(decoding: b, as: UTF8.self) } else { return nil } }.reversed()
    }
}

/// The BlueKing JOB/SOPS/ITSM stand-in (Tests/Support/bk_fixture.py) on 127.0.0.1.
package final class BKFixture {
    package let port: Int
    let process: Process
    let client = HTTPClient()!
    package var url: String { "http://127.0.0.1:\(port)" }
    package static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("bk_fixture.py").path

    package init() throws {
        (process, port) = try PythonServer.start([BKFixture.script, "0"], what: "BlueKing API fixture")
    }

    deinit { stop() }

    package func stop() { PythonServer.stop(process) }

    @discardableResult
    func call(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue {
        let request = HTTPRequest(method: method, url: url + path, headers: [("Content-Type", "application/json")],
                                  body: body.map { Array($0.jsonText.utf8) } ?? [], timeout: 10)
        switch client.perform(request) {
        case .success(let r): return try JSONParser.parse(r.bodyText)
        case .failure(let e): throw e
        }
    }

    package func configure(_ config: JSONValue) throws { try call("POST", "/_fixture/config", config) }
    /// Every API call so far: method, path, query, body, user.
    package func requests() throws -> [JSONValue] { try call("GET", "/_fixture/requests").arrayValue ?? [] }
}
