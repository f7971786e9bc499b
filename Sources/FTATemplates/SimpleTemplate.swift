import Foundation
import FTACore

/// Text with `{{ name.path }}` substitutions only (no filters, tags or comments).
struct SimpleTemplate {
    enum Part {
        case text(String)
        case path([String])
    }

    let parts: [Part]

    init?(_ source: String) {
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            if !rest[..<open.lowerBound].isEmpty { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else { return nil }
            let expr = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let keys = expr.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !keys.isEmpty, keys.allSatisfy({ k in !k.isEmpty && k.utf8.allSatisfy { c in
                (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 } }) else { return nil }
            parts.append(.path(keys))
            rest = rest[close.upperBound...]
        }
        if rest.contains("{%") || rest.contains("{#") || parts.contains(where: { if case .text(let t) = $0 { return t.contains("{%") || t.contains("{#") } else { return false } }) {
            return nil
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    /// The rendered text, or nil when a value is not a string, integer or boolean.
    func render(_ context: TemplateRenderer.Context) -> String? {
        var out = ""
        for part in parts {
            switch part {
            case .text(let t): out += t
            case .path(let keys):
                switch context.value(at: keys) {
                case .string(let s)?: out += s
                case .int(let i)?: out += String(i)
                case .bool(let b)?: out += b ? "true" : "false"
                default: return nil
                }
            }
        }
        return out
    }
}
