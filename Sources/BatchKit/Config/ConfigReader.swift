import Foundation

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

    func bool(_ v: JSONValue, _ key: String) throws -> Bool {
        guard let b = v.boolValue else { throw fail(key, "expected true or false, found \(v.typeName)") }
        return b
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
        // An unquoted YAML timestamp (`effective_time: 2026-03-01 09:00:00`): its wall-clock text.
        case let d as Date: return .string(WallTime(seconds: Int64(d.timeIntervalSince1970.rounded(.down))).text)
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
