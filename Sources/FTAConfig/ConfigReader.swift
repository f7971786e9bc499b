import Foundation
import FTACore

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
}
