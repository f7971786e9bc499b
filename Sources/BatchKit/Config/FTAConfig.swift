import Foundation
import Yams

/// The YAML configuration shared by all commands (ARCHITECTURE §4, "Configuration").
///
/// Every section is optional; without a file the built-in defaults serve. Strings may
/// reference environment variables as `${NAME}` so that files holding no secrets can be
/// committed. Sections that later commands read are kept as raw JSON in ``sections``.
public struct FTAConfig: Sendable {
    public var database = DatabaseSettings()
    public var tick = TickSettings()
    public var sections: [String: JSONValue] = [:]
    /// The file it was read from, for messages.
    public var source: String = "(defaults)"

    public static let knownSections: [String] = [
        "database", "tick", "channels", "users", "user_groups", "action_configs", "templates",
        "elasticsearch", "job", "sops", "itsm", "message_queue", "breaker", "rota", "sync", "replay",
    ]

    public init() {}

    /// Loads `path`, or returns defaults when `path` is nil.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> FTAConfig {
        guard let path else { return FTAConfig() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FTAError.config("config \(path): cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FTAError.config("config \(path): not UTF-8 text")
        }
        return try parse(text, source: path, environment: environment)
    }

    public static func parse(_ text: String, source: String, environment: [String: String] = [:]) throws -> FTAConfig {
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch let error as YamlError {
            throw FTAError.config("config \(source): invalid YAML: \(oneLine("\(error)"))")
        } catch {
            throw FTAError.config("config \(source): invalid YAML: \(oneLine("\(error)"))")
        }
        var config = FTAConfig()
        config.source = source
        guard let node else { return config }
        let root = try ConfigReader.json(from: node, path: "", source: source, environment: environment)
        guard case .object(let top) = root else {
            throw FTAError.config("config \(source): the top level must be a mapping of sections")
        }
        for key in top.keys.sorted() where !knownSections.contains(key) {
            throw FTAError.config("config \(source): unknown section '\(key)' (known: \(knownSections.joined(separator: ", ")))")
        }
        let reader = ConfigReader(source: source)
        if let db = top["database"] { config.database = try DatabaseSettings(db, reader: reader.at("database")) }
        if let tick = top["tick"] { config.tick = try TickSettings(tick, reader: reader.at("tick")) }
        config.sections = top
        return config
    }

    static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
    }
}

/// `database:` section.
public struct DatabaseSettings: Sendable, Equatable {
    /// Seconds a write waits for another process's transaction before giving up.
    public var busyTimeout: Double = 30
    /// SQLite `synchronous`: `full` (default; a committed enqueue survives power loss) or `normal`.
    public var synchronous: String = "full"

    public init() {}

    init(_ value: JSONValue, reader: ConfigReader) throws {
        let o = try reader.object(value, allowed: ["busy_timeout", "synchronous"])
        if let v = o["busy_timeout"] { busyTimeout = try reader.number(v, "busy_timeout", min: 0.1, max: 3600) }
        if let v = o["synchronous"] { synchronous = try reader.choice(v, "synchronous", ["full", "normal"]) }
    }
}

/// `tick:` section: defaults for `fta-tick` passes (flags override them).
public struct TickSettings: Sendable, Equatable {
    public var batch = 500
    public var concurrency = 16
    public var lease: Double = 120
    public var maxRuntime: Double = 50
    /// Longest `Retry-After` honoured on 429/503 (seconds).
    public var retryAfterCap: Double = 600
    /// Random extra fraction added to retry intervals (0 = none).
    public var retryJitter: Double = 0
    /// Per-request timeout when a webhook config has no `failed_retry.timeout`.
    public var defaultRequestTimeout: Double = 10
    /// Response bodies are kept up to this many bytes.
    public var maxResponseBytes = 1 << 20
    public var userAgent = "fta/\(FTAVersion.string)"

    public init() {}

    init(_ value: JSONValue, reader: ConfigReader) throws {
        let o = try reader.object(value, allowed: ["batch", "concurrency", "lease", "max_runtime", "retry_after_cap",
                                                   "retry_jitter", "default_request_timeout", "max_response_bytes", "user_agent"])
        if let v = o["batch"] { batch = Int(try reader.number(v, "batch", min: 1, max: 100_000)) }
        if let v = o["concurrency"] { concurrency = Int(try reader.number(v, "concurrency", min: 1, max: 512)) }
        if let v = o["lease"] { lease = try reader.number(v, "lease", min: 1, max: 86400) }
        if let v = o["max_runtime"] { maxRuntime = try reader.number(v, "max_runtime", min: 1, max: 86400) }
        if let v = o["retry_after_cap"] { retryAfterCap = try reader.number(v, "retry_after_cap", min: 0, max: 86400) }
        if let v = o["retry_jitter"] { retryJitter = try reader.number(v, "retry_jitter", min: 0, max: 1) }
        if let v = o["default_request_timeout"] { defaultRequestTimeout = try reader.number(v, "default_request_timeout", min: 0.1, max: 7200) }
        if let v = o["max_response_bytes"] { maxResponseBytes = Int(try reader.number(v, "max_response_bytes", min: 1024, max: 1_073_741_824)) }
        if let v = o["user_agent"] { userAgent = try reader.string(v, "user_agent") }
    }
}

/// Typed access to config values with errors that name the file and the setting.
struct ConfigReader {
    let source: String
    var prefix = ""

    func at(_ key: String) -> ConfigReader { ConfigReader(source: source, prefix: prefix.isEmpty ? key : "\(prefix).\(key)") }
    func name(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }
    func fail(_ key: String, _ message: String) -> FTAError { .config("config \(source): \(name(key)): \(message)") }

    func object(_ v: JSONValue, allowed: [String]) throws -> [String: JSONValue] {
        guard case .object(let o) = v else { throw FTAError.config("config \(source): \(prefix): expected a mapping, found \(v.typeName)") }
        for k in o.keys.sorted() where !allowed.contains(k) {
            throw fail(k, "unknown setting (known: \(allowed.joined(separator: ", ")))")
        }
        return o
    }

    func number(_ v: JSONValue, _ key: String, min: Double, max: Double) throws -> Double {
        guard let d = v.doubleValue else { throw fail(key, "expected a number, found \(v.typeName)") }
        guard d >= min, d <= max else { throw fail(key, "\(JSONWriter.format(d)) is out of range \(JSONWriter.format(min))...\(JSONWriter.format(max))") }
        return d
    }

    func string(_ v: JSONValue, _ key: String) throws -> String {
        guard let s = v.scalarText else { throw fail(key, "expected a string, found \(v.typeName)") }
        return s
    }

    func choice(_ v: JSONValue, _ key: String, _ options: [String]) throws -> String {
        let s = try string(v, key).lowercased()
        guard options.contains(s) else { throw fail(key, "'\(s)' is not one of \(options.joined(separator: ", "))") }
        return s
    }

    /// Converts a Yams tree to JSON, expanding `${NAME}` in strings.
    static func json(from node: Any, path: String, source: String, environment: [String: String]) throws -> JSONValue {
        switch node {
        case let s as String: return .string(try expand(s, path: path, source: source, environment: environment))
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(Int64(i))
        case let d as Double: return .double(d)
        case let a as [Any]:
            return .array(try a.enumerated().map { try json(from: $0.element, path: "\(path)[\($0.offset)]", source: source, environment: environment) })
        case let m as [String: Any]:
            var o: [String: JSONValue] = [:]
            for (k, v) in m { o[k] = try json(from: v, path: path.isEmpty ? k : "\(path).\(k)", source: source, environment: environment) }
            return .object(o)
        case let m as [AnyHashable: Any]:
            var o: [String: JSONValue] = [:]
            for (k, v) in m { o["\(k)"] = try json(from: v, path: path.isEmpty ? "\(k)" : "\(path).\(k)", source: source, environment: environment) }
            return .object(o)
        case is NSNull: return .null
        default: return .string("\(node)")
        }
    }

    static func expand(_ s: String, path: String, source: String, environment: [String: String]) throws -> String {
        guard s.contains("${") else { return s }
        var out = ""
        var rest = Substring(s)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw FTAError.config("config \(source): \(path): unterminated ${ in value")
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else {
                throw FTAError.config("config \(source): \(path): environment variable \(name) is not set")
            }
            out += value
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }
}

public enum FTAVersion {
    public static let string = "0.1.0"
}
