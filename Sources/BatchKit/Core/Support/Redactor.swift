/// Keeps secrets out of logs, messages and `show` output.
public struct Redactor: Sendable {
    public static let mask = "******"
    /// Object keys whose values are always masked when a row is shown.
    public static let secretKeys: Set<String> = ["password", "token", "secret", "api_key", "apikey", "access_token", "authorization", "passwd"]

    private let secrets: [String]

    public init(secrets: [String]) {
        // Longest first, so a secret that contains another is masked whole.
        self.secrets = secrets.filter { $0.count >= 3 }.sorted { $0.count > $1.count }
    }

    /// `text` with every known secret replaced by the mask.
    public func redact(_ text: String) -> String {
        var out = text
        for s in secrets where out.contains(s) { out = out.replacingOccurrences(of: s, with: Redactor.mask) }
        return out
    }

    /// A copy of `value` whose secret-named keys (and headers named Authorization) are masked.
    public static func maskSecrets(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let o):
            var out: [String: JSONValue] = [:]
            let headerName = o["key"]?.stringValue?.lowercased()
            for (k, v) in o {
                if secretKeys.contains(k.lowercased()), !v.isNull {
                    out[k] = .string(mask)
                } else if k == "value", let h = headerName, secretKeys.contains(h) || h.contains("token") || h.contains("secret") {
                    out[k] = .string(mask)
                } else {
                    out[k] = maskSecrets(v)
                }
            }
            return .object(out)
        case .array(let a): return .array(a.map(maskSecrets))
        default: return value
        }
    }

    /// `scheme://host[:port]/path` of a URL: no user info, no query (tokens often live there).
    public static func safeURL(_ url: String) -> String {
        var rest = Substring(url)
        var scheme = ""
        if let r = rest.range(of: "://") {
            scheme = String(rest[..<r.upperBound])
            rest = rest[r.upperBound...]
        }
        if let q = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<q] }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<slash]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        return scheme + authority + rest[slash...]
    }
}
