import Foundation
import Stencil

/// The Jinja2 spellings the original's templates use that Stencil spells differently, rewritten
/// before Stencil parses a template (docs/enqueue-format.md "Templates"):
///
/// - filter calls with arguments: `x|default("n/a")`, `x|truncate(20)`, `x|join(", ")`,
///   `x|replace("a", "b")` become Stencil's `x|default:"n/a"` ... (arguments keep their order);
/// - tests in `if`/`elif`: `x is defined`, `x is not defined`, `x is none`, `x is not none`
///   become filters fta registers (`x|fta_defined`, `not x|fta_defined`, ...);
/// - Python's string and dict methods: `x.strip()`, `x.split(",")`, `x.replace("a", "b")`,
///   `x.startswith("a")`, `x.upper()`, `d.get("k", "n/a")`, `", ".join(list)`, `d.items()`...
///   become filters (`x|fta_strip`, `x|fta_split:","`, `list|join:", "`; `d.items()` is `d`,
///   which `for k, v in` walks by key).
///
/// Text outside `{{ }}` and `{% %}` and everything inside quotes is left alone. `{% set %}` is a
/// tag (``SetNode``); `elif` and `loop.*` Stencil and fta already have.
enum JinjaSyntax {
    /// `source` with the Jinja spellings rewritten; the same text when there is nothing to do.
    static func translate(_ source: String) -> String {
        guard source.contains("(") || source.contains(" is ") || source.contains("[") || source.contains("if ") else { return source }
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
            var body = rewriteFilterCalls(rewriteMethodCalls(String(inner[..<close.lowerBound])))
            if isTag { body = rewriteTruth(rewriteTests(body)) }
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

    /// Python methods the original's templates call, as the filters that do the same.
    static let methods: [String: String] = [
        "strip": "fta_strip", "lstrip": "fta_lstrip", "rstrip": "fta_rstrip", "upper": "upper", "lower": "lower",
        "title": "fta_title", "capitalize": "fta_capitalize", "split": "fta_split", "replace": "replace",
        "startswith": "fta_startswith", "endswith": "fta_endswith", "get": "fta_get", "keys": "fta_keys", "values": "fta_values",
        "count": "fta_count", "find": "fta_find",
    ]

    /// `x.method(args)` → `x|filter(args)` (then made Stencil's by ``rewriteFilterCalls``),
    /// `"sep".join(expr)` → `expr|join("sep")`, `x.items()` → `x`, and `x[0]` / `x["k"]` →
    /// `x|fta_item(0)`; outside quotes.
    static func rewriteMethodCalls(_ body: String) -> String {
        guard body.contains("(") || body.contains("[") else { return body }
        let chars = Array(body)
        var out: [Character] = []
        var i = 0
        func group(from start: Int, open: Character, close: Character) -> (String, Int)? { matching(chars, from: start, open: open, close: close) }
        while i < chars.count {
            let c = chars[i]
            if c == "\"" || c == "'" {
                // `"sep".join(expr)`: the literal is the separator.
                let end = afterQuoted(chars, at: i)
                if end + 5 < chars.count, String(chars[end..<(end + 6)]) == ".join(",
                   let (inside, after) = group(from: end + 5, open: "(", close: ")") {
                    let separator = String(chars[i..<end])
                    out += Array(rewriteMethodCalls(inside).trimmingCharacters(in: .whitespaces) + "|join(" + separator + ")")
                    i = after
                    continue
                }
                out += chars[i..<end]
                i = end
                continue
            }
            let afterValue = out.last.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ")" || $0 == "]" || $0 == "\"" || $0 == "'" } ?? false
            if c == "[", afterValue, let (inside, after) = group(from: i, open: "[", close: "]") {
                // After a name, a plain key or a non-negative index is Stencil's own lookup (so a
                // member may follow: `d["k"].name`); otherwise a filter.
                let key = inside.trimmingCharacters(in: .whitespaces)
                let unquoted = key.count >= 2 && (key.first == "\"" || key.first == "'") && key.last == key.first ? String(key.dropFirst().dropLast()) : nil
                let plainIndex = !key.isEmpty && key.allSatisfy(\.isNumber)
                let plainKey = unquoted.map { k in !k.isEmpty && !(k.first!.isNumber) && k.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } } ?? false
                let variableKey = unquoted == nil && !key.isEmpty && (key.first!.isLetter || key.first == "_")
                    && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
                if out.last != ")", plainIndex || plainKey {
                    out += Array("." + (unquoted ?? key))
                } else if out.last != ")", variableKey {
                    // `x[key].name`: Stencil resolves a variable key itself, members may follow.
                    out += Array("[" + key + "]")
                } else {
                    out += Array("|fta_item(" + rewriteMethodCalls(inside) + ")")
                }
                i = after
                continue
            }
            if c == ".", afterValue {
                var j = i + 1
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                let name = String(chars[(i + 1)..<j])
                if j < chars.count, chars[j] == "(", name == "items" || methods[name] != nil, let (inside, after) = group(from: j, open: "(", close: ")") {
                    if name != "items" {
                        let args = rewriteMethodCalls(inside).trimmingCharacters(in: .whitespaces)
                        out += Array("|" + methods[name]! + (args.isEmpty ? "" : "(" + args + ")"))
                    }
                    i = after
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return String(out)
    }

    /// The text from an opening parenthesis or bracket at `start` to its match (exclusive), and
    /// the index after the match; quotes and nested pairs are skipped. nil when unmatched.
    static func matching(_ chars: [Character], from start: Int, open: Character, close: Character) -> (String, Int)? {
        var depth = 1, k = start + 1
        var q: Character?
        while k < chars.count {
            let d = chars[k]
            if let o = q { if d == o { q = nil } } else if d == "\"" || d == "'" { q = d } else if d == open { depth += 1 } else if d == close {
                depth -= 1
                if depth == 0 { return (String(chars[(start + 1)..<k]), k + 1) }
            }
            k += 1
        }
        return nil
    }

    /// Call arguments split at the commas outside quotes and nested parentheses, trimmed.
    static func arguments(_ inside: String) -> [String] {
        var args: [String] = [], current = "", depth = 0
        var q: Character?
        for d in inside {
            if let open = q {
                if d == open { q = nil }
            } else if d == "\"" || d == "'" {
                q = d
            } else if d == "(" {
                depth += 1
            } else if d == ")" {
                depth -= 1
            } else if d == ",", depth == 0 {
                args.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                continue
            }
            current.append(d)
        }
        let last = current.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty || !args.isEmpty { args.append(last) }
        return args
    }

    /// The index after the quoted literal that starts at `i`: after its closing quote, or the
    /// end of the text when it is not closed (the rest is then copied as it is).
    static func afterQuoted(_ chars: [Character], at i: Int) -> Int {
        var j = i + 1
        while j < chars.count, chars[j] != chars[i] { j += 1 }
        return min(j + 1, chars.count)
    }

    /// `|name(a, b)` → `|name:a,b`, outside quotes.
    static func rewriteFilterCalls(_ body: String) -> String {
        guard body.contains("(") else { return body }
        let chars = Array(body)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\"" || c == "'" {
                let end = afterQuoted(chars, at: i)
                out += String(chars[i..<end])
                i = end
                continue
            }
            guard c == "|" else { out.append(c); i += 1; continue }
            // A filter: its name, then maybe a call.
            var j = i + 1
            while j < chars.count, chars[j] == " " { j += 1 }
            let nameStart = j
            while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
            let name = String(chars[nameStart..<j])
            guard !name.isEmpty, j < chars.count, chars[j] == "(", let (inside, after) = matching(chars, from: j, open: "(", close: ")") else {
                out.append(c)
                i += 1
                continue
            }
            let args = arguments(inside)
            out += "|" + name + (args.isEmpty ? "" : ":" + args.joined(separator: ","))
            i = after
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

    /// `if`/`elif` operands tested for truth as Jinja does (`x` → `x|fta_truthy`): a JSON null
    /// is false (Stencil takes any value as true), so is a negative number... true. Only a bare
    /// variable path is touched; an operand with a filter, a literal, a parenthesis or a side of
    /// a comparison is left as Stencil reads it. Words are split at spaces outside quotes.
    static func rewriteTruth(_ body: String) -> String {
        let trimmed = body.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("if ") || trimmed.hasPrefix("elif ") else { return body }
        // Words and the spaces between them, quotes kept whole.
        var words: [String] = []
        var current = ""
        var quote: Character?
        for ch in body {
            if let q = quote {
                current.append(ch)
                if ch == q { quote = nil }
            } else if ch == "\"" || ch == "'" {
                quote = ch
                current.append(ch)
            } else if ch == " " {
                words.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        words.append(current)
        let keywords: Set<String> = ["if", "elif", "and", "or", "not", "true", "false", "True", "False", "none", "None"]
        let joins: Set<String> = ["==", "!=", "<", ">", "<=", ">=", "in", "|", ":", ","]
        func isPath(_ w: String) -> Bool {
            guard let first = w.first, first.isLetter || first == "_" else { return false }
            return w.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        }
        for i in words.indices {
            let w = words[i]
            guard isPath(w), !keywords.contains(w) else { continue }
            let before = words[..<i].last { !$0.isEmpty }, after = words[(i + 1)...].first { !$0.isEmpty }
            if let b = before, joins.contains(b) || b.hasSuffix("|") || b.hasSuffix(":") || b.hasSuffix(",") { continue }
            if let a = after, joins.contains(a) || a.hasPrefix("|") || a.hasPrefix(":") || a.hasPrefix(",") { continue }
            words[i] = w + "|fta_truthy"
        }
        return words.joined(separator: " ")
    }

    /// The filters and tags the rewriting relies on, and Jinja filters Stencil lacks.
    static func register(_ e: Extension) {
        func text(_ v: Any?) -> String { v.map { "\($0)" } ?? "" }
        func chars(_ arguments: [Any?]) -> Set<Character>? { arguments.first.flatMap { $0 }.map { Set(text($0)) } }
        e.registerFilter("fta_strip") { (value: Any?, arguments: [Any?]) -> Any? in
            let set = chars(arguments)
            return String(text(value).drop { set?.contains($0) ?? $0.isWhitespace }.reversed().drop { set?.contains($0) ?? $0.isWhitespace }.reversed())
        }
        e.registerFilter("fta_lstrip") { (value: Any?, arguments: [Any?]) -> Any? in
            let set = chars(arguments)
            return String(text(value).drop { set?.contains($0) ?? $0.isWhitespace })
        }
        e.registerFilter("fta_rstrip") { (value: Any?, arguments: [Any?]) -> Any? in
            let set = chars(arguments)
            return String(text(value).reversed().drop { set?.contains($0) ?? $0.isWhitespace }.reversed())
        }
        // Python's title(): a letter after a non-letter goes upper case, the others lower.
        e.registerFilter("fta_title") { value -> Any? in
            var out = "", previousIsLetter = false
            for ch in text(value) {
                out += previousIsLetter ? ch.lowercased() : ch.uppercased()
                previousIsLetter = ch.isLetter
            }
            return out
        }
        e.registerFilter("fta_capitalize") { value -> Any? in
            let t = text(value)
            return t.prefix(1).uppercased() + t.dropFirst().lowercased()
        }
        // Python's split(sep=None, maxsplit=-1): no separator splits at runs of white space.
        e.registerFilter("fta_split") { (value: Any?, arguments: [Any?]) throws -> Any? in
            let t = text(value)
            let separator = arguments.first.flatMap { $0 }.map { text($0) }
            var limit = arguments.count > 1 ? (arguments[1] as? Int ?? -1) : -1
            guard separator != "" else { throw TemplateSyntaxError("'split': empty separator") }
            guard let sep = separator else {
                var parts: [String] = [], rest = Substring(t).drop { $0.isWhitespace }
                while !rest.isEmpty {
                    if limit == 0 { parts.append(String(rest)); break }
                    let word = rest.prefix { !$0.isWhitespace }
                    parts.append(String(word))
                    rest = rest.dropFirst(word.count)
                    let trimmed = rest.drop { $0.isWhitespace }
                    if trimmed.isEmpty { break }
                    rest = trimmed
                    limit -= 1
                }
                return parts
            }
            var parts: [String] = [], rest = Substring(t)
            while limit != 0, let r = rest.range(of: sep) {
                parts.append(String(rest[..<r.lowerBound]))
                rest = rest[r.upperBound...]
                limit -= 1
            }
            parts.append(String(rest))
            return parts
        }
        e.registerFilter("fta_startswith") { (value: Any?, arguments: [Any?]) -> Any? in text(value).hasPrefix(text(arguments.first ?? nil)) }
        e.registerFilter("fta_endswith") { (value: Any?, arguments: [Any?]) -> Any? in text(value).hasSuffix(text(arguments.first ?? nil)) }
        e.registerFilter("fta_count") { (value: Any?, arguments: [Any?]) -> Any? in
            let needle = text(arguments.first ?? nil)
            if let list = value as? [Any] { return list.filter { text($0) == needle }.count }
            guard !needle.isEmpty else { return text(value).count + 1 }
            return text(value).components(separatedBy: needle).count - 1
        }
        e.registerFilter("fta_find") { (value: Any?, arguments: [Any?]) -> Any? in
            let t = text(value)
            guard let r = t.range(of: text(arguments.first ?? nil)) else { return -1 }
            return t.distance(from: t.startIndex, to: r.lowerBound)
        }
        // dict.get(key, default=None), and x[key] / x[index] (negative indices from the end).
        e.registerFilter("fta_get") { (value: Any?, arguments: [Any?]) -> Any? in
            let key = text(arguments.first ?? nil)
            return (value as? [String: Any])?[key] ?? (arguments.count > 1 ? arguments[1] : nil)
        }
        e.registerFilter("fta_item") { (value: Any?, arguments: [Any?]) -> Any? in
            let key = arguments.first ?? nil
            if let list = value as? [Any], let n = (key as? Int) ?? Int(text(key)) {
                let index = n < 0 ? list.count + n : n
                return list.indices.contains(index) ? list[index] : nil
            }
            if let s = value as? String, let n = (key as? Int) ?? Int(text(key)) {
                let cs = Array(s)
                let index = n < 0 ? cs.count + n : n
                return cs.indices.contains(index) ? String(cs[index]) : nil
            }
            return (value as? [String: Any])?[text(key)]
        }
        e.registerFilter("fta_keys") { value -> Any? in (value as? [String: Any]).map { $0.keys.sorted() } ?? [] }
        e.registerFilter("fta_values") { value -> Any? in (value as? [String: Any]).map { d in d.keys.sorted().map { d[$0]! } } ?? [] }
        e.registerFilter("fta_defined") { value -> Any? in value != nil }
        e.registerFilter("fta_truthy") { value -> Any? in
            switch value {
            case nil, is NSNull: return false
            case let b as Bool: return b
            case let s as String: return !s.isEmpty
            case let a as [Any]: return !a.isEmpty
            case let d as [String: Any]: return !d.isEmpty
            case let i as Int: return i != 0
            case let i as Int64: return i != 0
            case let d as Double: return d != 0
            default: return true
            }
        }
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
