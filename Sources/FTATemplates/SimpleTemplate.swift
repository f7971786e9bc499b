import Foundation
import FTACore

/// The subset of the template language most action and notice templates use, rendered without
/// Stencil: text, `{{ name.path }}` (bare, `|escape` or `|tojson`) and `{% if name.path %}…{% endif %}`
/// (nested). Anything else (other filters and tags, comments, literals) is not simple, and a
/// value or a condition whose outcome is not certain makes ``render(_:)`` return nil: the
/// caller then renders with Stencil, so the output is always exactly Stencil's.
struct SimpleTemplate {
    enum Filter { case none, escape, tojson }

    indirect enum Part {
        case text(String)
        case path([String], filter: Filter)
        case ifBlock([String], [Part])
    }

    let parts: [Part]

    init?(_ source: String) {
        var stack: [(path: [String], parts: [Part])] = [([], [])]
        var rest = Substring(source)
        func add(_ p: Part) { stack[stack.count - 1].parts.append(p) }
        while let open = rest.firstRange(of: "{") {
            let after = rest[open.upperBound...]
            guard let marker = after.first, marker == "{" || marker == "%" || marker == "#" else {
                // A lone brace is text.
                add(.text(String(rest[..<open.upperBound])))
                rest = after
                continue
            }
            if !rest[..<open.lowerBound].isEmpty { add(.text(String(rest[..<open.lowerBound]))) }
            guard marker != "#" else { return nil }
            let inner = after.dropFirst()
            guard let close = inner.firstRange(of: marker == "{" ? "}}" : "%}") else { return nil }
            let expr = inner[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = inner[close.upperBound...]
            if marker == "{" {
                let pieces = expr.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pieces.count <= 2, let keys = SimpleTemplate.path(pieces[0]) else { return nil }
                let filter: Filter
                switch pieces.count == 2 ? pieces[1] : "" {
                case "": filter = .none
                case "escape": filter = .escape
                case "tojson": filter = .tojson
                default: return nil
                }
                add(.path(keys, filter: filter))
            } else {
                let words = expr.split(separator: " ", omittingEmptySubsequences: true)
                if words.count == 2, words[0] == "if", let keys = SimpleTemplate.path(String(words[1])) {
                    stack.append((keys, []))
                } else if words == ["endif"], stack.count > 1 {
                    let block = stack.removeLast()
                    add(.ifBlock(block.path, block.parts))
                } else {
                    return nil
                }
            }
        }
        guard stack.count == 1 else { return nil }
        if !rest.isEmpty { add(.text(String(rest))) }
        parts = stack[0].parts
    }

    /// `a.b.0.c` as keys; nil for anything Stencil would read differently (literals, quotes,
    /// filters, empty segments).
    static func path(_ expr: String) -> [String]? {
        let keys = expr.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = keys.first, !first.isEmpty, Int(first) == nil, first != "true", first != "false",
              keys.allSatisfy({ k in !k.isEmpty && k.utf8.allSatisfy { c in
                  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 } }) else { return nil }
        return keys
    }

    /// The rendered text, or nil when a value is not a string, integer or boolean or a
    /// condition cannot be decided here.
    func render(_ context: TemplateRenderer.Context) -> String? {
        var out = ""
        return SimpleTemplate.render(parts, context, into: &out) ? out : nil
    }

    private static func render(_ parts: [Part], _ context: TemplateRenderer.Context, into out: inout String) -> Bool {
        for part in parts {
            switch part {
            case .text(let t): out += t
            case .path(let keys, let filter):
                let value = context.value(at: keys)
                if filter == .tojson {
                    // Any value present, as the `tojson` filter writes it.
                    guard let value else { return false }
                    out += value.jsonText
                    continue
                }
                let text: String
                switch value {
                case .string(let s)?: text = s
                case .int(let i)?: text = String(i)
                case .bool(let b)?: text = b ? "true" : "false"
                default: return false
                }
                out += filter == .escape ? HTMLText.escape(text) : text
            case .ifBlock(let keys, let body):
                guard let yes = truth(keys, context) else { return false }
                if yes, !render(body, context, into: &out) { return false }
            }
        }
        return true
    }

    /// Jinja's truth of a variable, as conditions get it (``JinjaSyntax/rewriteTruth(_:)``):
    /// non-empty text and collections, numbers other than zero, true; null and absent are
    /// false. nil when Stencil might resolve the path in a way the JSON walk does not (`count`,
    /// `first`, `last`, indexes into text).
    static func truth(_ keys: [String], _ context: TemplateRenderer.Context) -> Bool? {
        switch context.value(at: keys) {
        case .string(let s)?: return !s.isEmpty
        case .int(let i)?: return i != 0
        case .double(let d)?: return d != 0
        case .bool(let b)?: return b
        case .array(let a)?: return !a.isEmpty
        case .object(let o)?: return !o.isEmpty
        case .null?: return false
        case nil: return absent(keys[...], context) ? false : nil
        }
    }

    /// Whether Stencil resolves `keys` to nothing.
    private static func absent(_ keys: ArraySlice<String>, _ context: TemplateRenderer.Context) -> Bool {
        guard keys.count > 1, let last = keys.last else { return true }
        let parentKeys = Array(keys.dropLast())
        switch context.value(at: parentKeys) {
        case .object?: return last != "count"
        case .array?: return Int(last) != nil
        case nil: return absent(keys.dropLast(), context)
        default: return false
        }
    }
}
