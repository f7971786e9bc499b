import Foundation
import Stencil

/// The Jinja2 spellings the original's templates use that Stencil spells differently, rewritten
/// before Stencil parses a template (docs/enqueue-format.md "Templates"):
///
/// - filter calls with arguments: `x|default("n/a")`, `x|truncate(20)`, `x|join(", ")`,
///   `x|replace("a", "b")` become Stencil's `x|default:"n/a"` ... (arguments keep their order);
/// - tests in `if`/`elif`: `x is defined`, `x is not defined`, `x is none`, `x is not none`
///   become filters fta registers (`x|fta_defined`, `not x|fta_defined`, ...).
///
/// Text outside `{{ }}` and `{% %}` and everything inside quotes is left alone. `{% set %}` is a
/// tag (``SetNode``); `elif` and `loop.*` Stencil and fta already have.
enum JinjaSyntax {
    /// `source` with the Jinja spellings rewritten; the same text when there is nothing to do.
    static func translate(_ source: String) -> String {
        guard source.contains("(") || source.contains(" is ") else { return source }
        var out = ""
        out.reserveCapacity(source.utf8.count)
        var rest = Substring(source)
        while true {
            let variable = rest.range(of: "{{"), tag = rest.range(of: "{%")
            let open: Range<Substring.Index>
            let isTag: Bool
            switch (variable, tag) {
            case (nil, nil): out += rest; return out
            case (let v?, nil): (open, isTag) = (v, false)
            case (nil, let t?): (open, isTag) = (t, true)
            case (let v?, let t?): (open, isTag) = t.lowerBound < v.lowerBound ? (t, true) : (v, false)
            }
            out += rest[..<open.lowerBound]
            let inner = rest[open.upperBound...]
            let closeMark = isTag ? "%}" : "}}"
            guard let close = closeRange(of: closeMark, in: inner) else { out += rest[open.lowerBound...]; return out }
            var body = rewriteFilterCalls(String(inner[..<close.lowerBound]))
            if isTag { body = rewriteTests(body) }
            out += rest[open] + body + closeMark
            rest = inner[close.upperBound...]
        }
    }

    /// Where `mark` closes a markup opened just before `text`, outside quotes.
    static func closeRange(of mark: String, in text: Substring) -> Range<Substring.Index>? {
        var quote: Character?
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if text[i...].hasPrefix(mark) {
                return i..<text.index(i, offsetBy: mark.count)
            }
            i = text.index(after: i)
        }
        return nil
    }

    /// `|name(a, b)` → `|name:a,b`, outside quotes.
    static func rewriteFilterCalls(_ body: String) -> String {
        guard body.contains("(") else { return body }
        let chars = Array(body)
        var out = ""
        var i = 0
        var quote: Character?
        while i < chars.count {
            let c = chars[i]
            if let q = quote {
                out.append(c)
                if c == q { quote = nil }
                i += 1
                continue
            }
            if c == "\"" || c == "'" { quote = c; out.append(c); i += 1; continue }
            guard c == "|" else { out.append(c); i += 1; continue }
            // A filter: its name, then maybe a call.
            var j = i + 1
            while j < chars.count, chars[j] == " " { j += 1 }
            let nameStart = j
            while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
            let name = String(chars[nameStart..<j])
            guard !name.isEmpty, j < chars.count, chars[j] == "(" else { out.append(c); i += 1; continue }
            // The arguments up to the matching parenthesis, split at top-level commas.
            var depth = 1, k = j + 1
            var args: [String] = [], current = ""
            var q: Character?
            while k < chars.count, depth > 0 {
                let d = chars[k]
                if let open = q {
                    current.append(d)
                    if d == open { q = nil }
                } else if d == "\"" || d == "'" {
                    q = d
                    current.append(d)
                } else if d == "(" {
                    depth += 1
                    current.append(d)
                } else if d == ")" {
                    depth -= 1
                    if depth > 0 { current.append(d) }
                } else if d == ",", depth == 1 {
                    args.append(current.trimmingCharacters(in: .whitespaces))
                    current = ""
                } else {
                    current.append(d)
                }
                k += 1
            }
            guard depth == 0 else { out.append(c); i += 1; continue }
            let last = current.trimmingCharacters(in: .whitespaces)
            if !last.isEmpty || !args.isEmpty { args.append(last) }
            out += "|" + name + (args.isEmpty ? "" : ":" + args.joined(separator: ","))
            i = k
        }
        return out
    }

    /// `if`/`elif` tests: `x is [not] defined|none` → `[not ]x|fta_defined|fta_none`.
    static func rewriteTests(_ body: String) -> String {
        let trimmed = body.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("if ") || trimmed.hasPrefix("elif "), body.contains(" is ") else { return body }
        var words = body.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var i = 0
        while i < words.count {
            guard words[i] == "is", i > 0 else { i += 1; continue }
            var negate = false
            var testIndex = i + 1
            if testIndex < words.count, words[testIndex] == "not" { negate = true; testIndex += 1 }
            guard testIndex < words.count, let filter = ["defined": "fta_defined", "none": "fta_none"][words[testIndex]] else { i += 1; continue }
            words[i - 1] = (negate ? "not " : "") + words[i - 1] + "|" + filter
            words.removeSubrange(i...testIndex)
            i += 1
        }
        return words.joined(separator: " ")
    }

    /// The filters and tags the rewriting relies on, and Jinja filters Stencil lacks.
    static func register(_ e: Extension) {
        e.registerFilter("fta_defined") { value -> Any? in value != nil }
        e.registerFilter("fta_none") { value -> Any? in value is NSNull }
        e.registerFilter("replace") { (value: Any?, arguments: [Any?]) throws -> Any? in
            guard arguments.count == 2 || arguments.count == 3 else { throw TemplateSyntaxError("'replace' takes the text to find, its replacement and an optional count") }
            let text = value.map { "\($0)" } ?? ""
            let old = arguments[0].map { "\($0)" } ?? "", new = arguments[1].map { "\($0)" } ?? ""
            guard !old.isEmpty else { return text }
            var limit = arguments.count == 3 ? (arguments[2] as? Int ?? -1) : -1
            var result = "", rest = Substring(text)
            while limit != 0, let r = rest.range(of: old) {
                result += rest[..<r.lowerBound] + new
                rest = rest[r.upperBound...]
                limit -= 1
            }
            return result + rest
        }
        // Jinja's truncate(length=255, killwords=False, end='...', leeway=5).
        e.registerFilter("truncate") { (value: Any?, arguments: [Any?]) throws -> Any? in
            let text = value.map { "\($0)" } ?? ""
            let length = arguments.count > 0 ? (arguments[0] as? Int ?? 255) : 255
            let killwords = arguments.count > 1 ? (arguments[1] as? Bool ?? false) : false
            let end = arguments.count > 2 ? (arguments[2].map { "\($0)" } ?? "...") : "..."
            let leeway = arguments.count > 3 ? (arguments[3] as? Int ?? 5) : 5
            guard (0...1_000_000).contains(length), length >= end.count else { throw TemplateSyntaxError("'truncate' length must be at least the length of its end text") }
            let chars = Array(text)
            if chars.count <= length + leeway { return text }
            let head = String(chars[0..<(length - end.count)])
            if killwords { return head + end }
            if let space = head.lastIndex(of: " ") { return String(head[..<space]) + end }
            return head + end
        }
    }
}

/// `{% set name = expression %}`: the value of the expression (a variable with filters, or a
/// literal) under `name` for the rest of the template.
final class SetNode: NodeType {
    let name: String
    let value: Resolvable
    let token: Token?

    static func parse(_ parser: TokenParser, token: Token) throws -> NodeType {
        let contents = token.contents.trimmingCharacters(in: .whitespaces)
        guard let eq = contents.firstIndex(of: "=") else { throw TemplateSyntaxError("'set' needs 'name = value'") }
        let name = contents[contents.index(contents.startIndex, offsetBy: 3)..<eq].trimmingCharacters(in: .whitespaces)
        guard let first = name.first, first.isLetter || first == "_", name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw TemplateSyntaxError("'set' needs a plain variable name, found '\(name)'")
        }
        let expression = contents[contents.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        return SetNode(name: name, value: try parser.compileResolvable(expression, containedIn: token), token: token)
    }

    init(name: String, value: Resolvable, token: Token) {
        self.name = name
        self.value = value
        self.token = token
    }

    func render(_ context: Stencil.Context) throws -> String {
        context[name] = try value.resolve(context)
        return ""
    }
}
