/// Keeps secrets out of everything fta prints or sends elsewhere: `show`, JSON output, log
/// lines, metrics, replay dry-runs and documents exported to Elasticsearch all go through the
/// same rule (docs/decisions.md, "Secrets"):
///
/// - a value under a secret-looking name is masked: names containing `password`, `passwd`,
///   `secret`, `token`, `api_key`/`apikey`, `authorization`, `cookie`, `credential`,
///   `private_key` or `access_key` (case and `-`/`_` ignored), whether the name is an object
///   key or the `key` of a `{key, value}` header entry;
/// - in any text: the password of a URL's user info (`https://user:******@host`), the value
///   of a query or form parameter with a secret-looking name (`?token=******`), and the
///   credential after `Bearer` or `Basic`.
///
/// A config's own credentials are also known by value (``init(secrets:)``) and masked wherever
/// they appear, e.g. echoed in a receiver's error body.
package struct Redactor: Sendable {
    package static let mask = "******"

    private let secrets: [String]

    package init(secrets: [String]) {
        // Longest first, so a secret that contains another is masked whole.
        self.secrets = secrets.filter { $0.count >= 3 }.sorted { $0.count > $1.count }
    }

    /// `text` with every known secret replaced by the mask, then ``maskText(_:)``.
    package func redact(_ text: String) -> String {
        var out = text
        for s in secrets where out.contains(s) { out = out.replacingOccurrences(of: s, with: Redactor.mask) }
        return Redactor.maskText(out)
    }

    static let secretMarkers = ["password", "passwd", "secret", "token", "apikey", "api_key", "authorization", "cookie",
                                "credential", "private_key", "access_key"]

    /// Whether a key or parameter name looks like it holds a secret.
    package static func isSecretName(_ name: String) -> Bool {
        guard name.utf8.count >= 3, name.utf8.count <= 128 else { return false }
        var normal = ""
        normal.reserveCapacity(name.utf8.count)
        for scalar in name.unicodeScalars {
            switch scalar {
            case "A"..."Z": normal.unicodeScalars.append(Unicode.Scalar(scalar.value + 32)!)
            case "-", ".", " ": normal.append("_")
            default: normal.unicodeScalars.append(scalar)
            }
        }
        return secretMarkers.contains { normal.contains($0) }
    }

    /// A copy of `value` with secrets masked: values under secret names, the `value` of a
    /// `{key, value}` entry whose key is a secret name, and secrets inside any string
    /// (``maskText(_:)``).
    package static func maskSecrets(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let o):
            var out: [String: JSONValue] = [:]
            let entryKey = o["key"]?.stringValue
            let entryIsSecret = entryKey.map(isSecretName) ?? false
            for (k, v) in o {
                if isSecretName(k) || (k == "value" && entryIsSecret) {
                    out[k] = maskWhole(v)
                } else {
                    out[k] = maskSecrets(v)
                }
            }
            return .object(out)
        case .array(let a): return .array(a.map(maskSecrets))
        case .string(let s): return .string(maskText(s))
        default: return value
        }
    }

    /// Every scalar of `v` masked (null and empty strings stay, so "not set" still shows).
    static func maskWhole(_ v: JSONValue) -> JSONValue {
        switch v {
        case .null: return .null
        case .string(let s) where s.isEmpty: return v
        case .object(let o): return .object(o.mapValues(maskWhole))
        case .array(let a): return .array(a.map(maskWhole))
        default: return .string(mask)
        }
    }

    /// A JSON text with ``maskSecrets(_:)`` applied; texts with nothing that could hold a secret
    /// are returned as they are without being parsed (the exporter's fast path).
    package static func maskJSONText(_ text: String) -> String {
        guard mayHoldSecret(text), let parsed = try? JSONParser.parse(text) else { return text }
        let masked = maskSecrets(parsed)
        return masked == parsed ? text : masked.jsonText
    }

    /// A cheap test: could ``maskSecrets`` or ``maskText`` change anything in `text`? One pass
    /// over the bytes, comparing a marker only where a byte could start one (the exporter runs
    /// this on every stored JSON text it sends).
    package static func mayHoldSecret(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { b -> Bool in
            let n = b.count
            guard n >= 3 else { return false }
            @inline(__always) func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : (c == UInt8(ascii: "-") ? UInt8(ascii: "_") : c) }
            @inline(__always) func at(_ i: Int, _ word: StaticString) -> Bool {
                let count = word.utf8CodeUnitCount
                guard i + count <= n else { return false }
                let w = word.utf8Start
                for k in 1..<count where lower(b[i + k]) != w[k] { return false }
                return true
            }
            var sawAt = false, sawScheme = false
            var i = 0
            while i < n {
                let c = lower(b[i])
                switch c {
                case UInt8(ascii: "p"): if at(i, "password") || at(i, "passwd") || at(i, "private_key") { return true }
                case UInt8(ascii: "s"): if at(i, "secret") { return true }
                case UInt8(ascii: "t"): if at(i, "token") { return true }
                case UInt8(ascii: "a"): if at(i, "apikey") || at(i, "api_key") || at(i, "authorization") || at(i, "access_key") { return true }
                case UInt8(ascii: "c"): if at(i, "cookie") || at(i, "credential") { return true }
                case UInt8(ascii: "b"): if at(i, "bearer") || at(i, "basic") { return true }
                case UInt8(ascii: "@"): sawAt = true
                case UInt8(ascii: ":"): if i + 2 < n, b[i + 1] == UInt8(ascii: "/"), b[i + 2] == UInt8(ascii: "/") { sawScheme = true }
                default: break
                }
                if sawAt && sawScheme { return true }
                i += 1
            }
            return false
        }
    }

    /// `text` with URL passwords, secret-named parameters and `Bearer`/`Basic` credentials masked.
    package static func maskText(_ text: String) -> String {
        guard mayHoldSecret(text) else { return text }
        var b = Array(text.utf8)
        var changed = false
        // Ranges to replace, found left to right, applied at the end.
        var cuts: [Range<Int>] = []
        let n = b.count
        func isNameByte(_ c: UInt8) -> Bool { WireCheck.isAlphanumeric(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") }
        func isValueEnd(_ c: UInt8) -> Bool {
            c == UInt8(ascii: "&") || c == UInt8(ascii: "#") || c == UInt8(ascii: " ") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'")
                || c == UInt8(ascii: ";") || c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: ")") || c < 0x20
        }
        var i = 0
        while i < n {
            let c = b[i]
            // scheme://user:password@host
            if c == UInt8(ascii: ":"), i + 2 < n, b[i + 1] == UInt8(ascii: "/"), b[i + 2] == UInt8(ascii: "/") {
                let start = i + 3
                var end = start
                while end < n, b[end] != UInt8(ascii: "/"), b[end] != UInt8(ascii: "?"), b[end] != UInt8(ascii: "#"),
                      b[end] > 0x20, b[end] != UInt8(ascii: "\""), b[end] != UInt8(ascii: "'") { end += 1 }
                if let at = b[start..<end].lastIndex(of: UInt8(ascii: "@")), let colon = b[start..<at].firstIndex(of: UInt8(ascii: ":")), colon + 1 < at {
                    cuts.append((colon + 1)..<at)
                }
                i = end
                continue
            }
            // name=value with a secret-looking name
            if c == UInt8(ascii: "=") {
                var s = i
                while s > 0, isNameByte(b[s - 1]) { s -= 1 }
                if s < i, isSecretName(String(decoding: b[s..<i], as: UTF8.self)) {
                    var e = i + 1
                    while e < n, !isValueEnd(b[e]) { e += 1 }
                    if e > i + 1 { cuts.append((i + 1)..<e) }
                    i = e
                    continue
                }
            }
            // Bearer <token> / Basic <base64>
            if c | 0x20 == UInt8(ascii: "b"), i == 0 || !isNameByte(b[i - 1]) {
                for (word, isBasic) in [("bearer ", false), ("basic ", true)] {
                    let w = Array(word.utf8)
                    guard i + w.count < n else { continue }
                    var match = true
                    for k in 0..<w.count where b[i + k] | (w[k] == 0x20 ? 0 : 0x20) != w[k] { match = false; break }
                    guard match else { continue }
                    let s = i + w.count
                    var e = s
                    while e < n, !isValueEnd(b[e]) { e += 1 }
                    let token = b[s..<e]
                    let allLower = token.allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
                    if token.count >= 8, !(isBasic && allLower) { cuts.append(s..<e) }
                    i = e
                    break
                }
            }
            i += 1
        }
        guard !cuts.isEmpty else { return text }
        for r in cuts.reversed() where !b[r].elementsEqual(mask.utf8) {
            b.replaceSubrange(r, with: Array(mask.utf8))
            changed = true
        }
        return changed ? String(decoding: b, as: UTF8.self) : text
    }

    /// `scheme://host[:port]/path` of a URL: no user info, no query (tokens often live there).
    package static func safeURL(_ url: String) -> String {
        // On bytes: every request's log detail goes through here.
        let b = Array(url.utf8)
        func at(_ k: Int, _ c: Unicode.Scalar) -> Bool { k < b.count && b[k] == UInt8(ascii: c) }
        var start = 0
        var k = 0
        while k + 2 < b.count {
            if at(k, ":") && at(k + 1, "/") && at(k + 2, "/") { start = k + 3; break }
            k += 1
        }
        var end = start
        while end < b.count && !at(end, "?") && !at(end, "#") { end += 1 }
        var slash = start
        while slash < end && !at(slash, "/") { slash += 1 }
        var host = start
        for p in start..<slash where at(p, "@") { host = p + 1 }
        guard host > start || end < b.count else { return url }
        return String(decoding: b[0..<start] + b[host..<end], as: UTF8.self)
    }
}
