import Foundation
import FTACore
import Stencil

/// Renders Jinja-syntax templates (Stencil) against an action context.
///
/// Most action templates are text with `{{ a.b.c }}` substitutions. Those are rendered
/// directly from the JSON context when every value they name is a string, an integer or a
/// boolean (the output is then exactly what Stencil prints); anything else (filters, tags,
/// other values) goes through Stencil. Parsed templates are cached by their text. One
/// renderer per worker thread: the caches are not locked.
package final class TemplateRenderer {
    private let environment = Environment(extensions: [TemplateRenderer.jinjaNames])
    private var nodes: [String: [NodeType]] = [:]
    private var simple: [String: SimpleTemplate?] = [:]
    private var namesOriginal: [String: Bool] = [:]

    package init() {}

    /// ``OriginalContext/isReferenced(in:)``, remembered per template text: a storm renders
    /// the same few notice templates thousands of times.
    package func namesOriginalVariables(_ source: String) -> Bool {
        if let known = namesOriginal[source] { return known }
        let found = OriginalContext.isReferenced(in: source)
        if namesOriginal.count < 1024 { namesOriginal[source] = found }
        return found
    }

    /// Jinja filter names the original's templates use, where Stencil's differ.
    static let jinjaNames: Extension = {
        let e = Extension()
        // Loops count against the rendering's budget (RenderBudget).
        e.registerTag("for", parser: BoundedForNode.parse)
        // Jinja's `set`, filter calls and `is` tests (JinjaSyntax).
        e.registerTag("set", parser: SetNode.parse)
        JinjaSyntax.register(e)
        // Stencil's indent with a width cap, so `indent:1000000000` cannot allocate gigabytes.
        e.registerFilter("indent") { (value: Any?, arguments: [Any?]) throws -> Any? in
            let width = arguments.first.flatMap { $0 as? Int } ?? 4
            guard (0...100).contains(width) else { throw TemplateSyntaxError("'indent' width must be 0...100") }
            let pad = String(repeating: (arguments.count > 1 ? arguments[1] as? String : nil) ?? " ", count: width)
            guard pad.utf8.count <= 400 else { throw TemplateSyntaxError("'indent' padding is longer than 400 bytes") }
            let first = arguments.count > 2 ? (arguments[2] as? Bool ?? false) : false
            let lines = (value.map { "\($0)" } ?? "").components(separatedBy: "\n")
            return lines.enumerated().map { i, line in (i == 0 && !first) || line.isEmpty ? line : pad + line }.joined(separator: "\n")
        }
        e.registerFilter("upper") { ($0.map { "\($0)" } ?? "").uppercased() }
        // Jinja's `safe` marks text as not to be escaped; nothing is escaped here.
        e.registerFilter("safe") { $0 }
        e.registerFilter("lower") { ($0.map { "\($0)" } ?? "").lowercased() }
        e.registerFilter("trim") { ($0.map { "\($0)" } ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        e.registerFilter("tojson") { value -> Any? in JSONValue(any: value).jsonText }
        e.registerFilter("escape") { value -> Any? in HTMLText.escape(value.map { "\($0)" } ?? "") }
        e.registerFilter("length") { value -> Any? in
            switch value {
            case let s as String: return s.count
            case let a as [Any]: return a.count
            case let d as [String: Any]: return d.count
            default: return 0
            }
        }
        return e
    }()

    /// Whether `text` contains template markup at all; plain strings are returned unchanged.
    package static func isTemplate(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for c in text.utf8 {
            if previous == UInt8(ascii: "{"), c == UInt8(ascii: "{") || c == UInt8(ascii: "%") { return true }
            previous = c
        }
        return false
    }

    /// The values a template may name, built only if needed: either a whole JSON object, or a
    /// resolver that looks up one dotted path (`["alert", "id"]`) without building the rest,
    /// with the whole object built only for templates that need more than paths (Stencil).
    package final class Context {
        private var whole: JSONValue?
        private let resolver: (([String]) -> JSONValue?)?
        private let builder: (() -> JSONValue)?
        private var any: [String: Any]?

        package init(_ json: JSONValue) {
            whole = json
            resolver = nil
            builder = nil
        }

        /// `resolve` must give what walking `whole()` gives, for every path.
        package init(resolve: @escaping ([String]) -> JSONValue?, whole: @escaping () -> JSONValue) {
            resolver = resolve
            builder = whole
        }

        package var json: JSONValue {
            if let whole { return whole }
            let w = builder?() ?? .emptyObject
            whole = w
            return w
        }

        /// The value at a dotted path (object keys, array indexes), or nil.
        package func value(at keys: [String]) -> JSONValue? {
            if whole == nil, let resolver { return resolver(keys) }
            return Context.walk(json, keys[...])
        }

        /// Walks `keys` down from `value`: object members by name, array elements by index.
        package static func walk(_ value: JSONValue?, _ keys: ArraySlice<String>) -> JSONValue? {
            var v = value
            for k in keys {
                switch v {
                case .object(let o)?: v = o[k]
                case .array(let a)?:
                    guard let i = Int(k), i >= 0, i < a.count else { return nil }
                    v = a[i]
                default: return nil
                }
            }
            return v
        }

        var anyValue: [String: Any] {
            if let any { return any }
            let a = (json.anyValue as? [String: Any]) ?? [:]
            any = a
            return a
        }
    }

    /// Renders `source`; errors name `field` and the template line.
    package func render(_ source: String, field: @autoclosure () -> String, context: @autoclosure () -> Context) throws -> String {
        guard TemplateRenderer.isTemplate(source) else { return source }
        let ctx = context()
        let fast: SimpleTemplate?
        if let cached = simple[source] {
            fast = cached
        } else {
            fast = SimpleTemplate(source)
            if simple.count > 4096 { simple.removeAll(keepingCapacity: true) }
            simple[source] = fast
        }
        if let fast, let out = fast.render(ctx) { return out }
        return try renderWithStencil(source, field: field(), context: ctx.anyValue)
    }

    /// Renders with Stencil only (for templates given a Foundation context).
    package func render(_ source: String, field: String, context: [String: Any]) throws -> String {
        guard TemplateRenderer.isTemplate(source) else { return source }
        return try renderWithStencil(source, field: field, context: context)
    }

    private func renderWithStencil(_ source: String, field: String, context: [String: Any]) throws -> String {
        do {
            let parsed: [NodeType]
            if let cached = nodes[source] {
                parsed = cached
            } else {
                if let why = TemplateRenderer.rangeProblem(source) { throw TemplateError(field: field, message: why) }
                let template = Template(templateString: JinjaSyntax.translate(source), environment: environment, name: field)
                parsed = try TokenParser(tokens: template.tokens, environment: environment).parse()
                if nodes.count > 4096 { nodes.removeAll(keepingCapacity: true) }
                nodes[source] = parsed
            }
            var dictionary = context
            dictionary[RenderBudget.contextKey] = RenderBudget()
            let out = try renderNodes(parsed, Stencil.Context(dictionary: dictionary, environment: environment))
            if out.utf8.count > RenderBudget.maxOutputBytes {
                throw RenderBudget.Exceeded(description: "rendering stopped: output larger than \(RenderBudget.maxOutputBytes >> 20) MiB (the limit per template)")
            }
            return out
        } catch let error as TemplateSyntaxError {
            let line = error.token.map { " (line \($0.sourceMap.location.lineNumber))" } ?? ""
            throw TemplateError(field: field, message: "\(error.reason)\(line)")
        } catch let error as TemplateError {
            throw error
        } catch {
            throw TemplateError(field: field, message: "\(error)")
        }
    }

    /// Stencil builds a range (`1...n`) as a whole array before anything can count it, so
    /// ranges are allowed only between integer literals at most ``RenderBudget/maxIterations``
    /// apart. Returns why `source` is refused, or nil.
    static func rangeProblem(_ source: String) -> String? {
        guard source.contains("...") else { return nil }
        let b = Array(source.utf8)
        var i = 0
        while i + 1 < b.count {
            guard b[i] == UInt8(ascii: "{"), b[i + 1] == UInt8(ascii: "{") || b[i + 1] == UInt8(ascii: "%") else { i += 1; continue }
            let close: UInt8 = b[i + 1] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "%")
            var j = i + 2
            var quote: UInt8 = 0
            var tokenStart = j
            while j + 1 < b.count, !(quote == 0 && b[j] == close && b[j + 1] == UInt8(ascii: "}")) {
                let c = b[j]
                if quote != 0 { if c == quote { quote = 0 } } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { quote = c }
                if quote == 0, c == UInt8(ascii: " ") { tokenStart = j + 1 }
                if quote == 0, c == UInt8(ascii: "."), j + 2 < b.count, b[j + 1] == UInt8(ascii: "."), b[j + 2] == UInt8(ascii: ".") {
                    var end = j + 3
                    while end < b.count, b[end] != UInt8(ascii: " "), b[end] != close { end += 1 }
                    let lower = Int(String(decoding: b[tokenStart..<j], as: UTF8.self))
                    let upper = Int(String(decoding: b[(j + 3)..<end], as: UTF8.self))
                    guard let lower, let upper else { return "a range (a...b) in a template must be between two integer numbers" }
                    let (span, overflow) = max(lower, upper).subtractingReportingOverflow(min(lower, upper))
                    if overflow || span >= RenderBudget.maxIterations { return "a range (a...b) in a template may hold at most \(RenderBudget.maxIterations) numbers" }
                    j = end
                    continue
                }
                j += 1
            }
            i = j + 2
        }
        return nil
    }

    /// Renders every string leaf of a JSON structure; object keys are left as they are.
    package func renderLeaves(_ value: JSONValue, field: String, context: @autoclosure () -> Context) throws -> JSONValue {
        var ctx: Context?
        func get() -> Context {
            if let ctx { return ctx }
            let c = context()
            ctx = c
            return c
        }
        // A leaf's field name (for errors) is spelled only when the leaf needs Stencil: spelling
        // every leaf's path cost about 4,000 instructions per webhook.
        func walk(_ v: JSONValue, _ field: () -> String) throws -> JSONValue {
            switch v {
            case .string(let s):
                guard TemplateRenderer.isTemplate(s) else { return v }
                return .string(try render(s, field: field(), context: get()))
            case .array(let a):
                var out: [JSONValue] = []
                out.reserveCapacity(a.count)
                for (i, x) in a.enumerated() { out.append(try walk(x, { "\(field())[\(i)]" })) }
                return .array(out)
            case .object(let o):
                var out: [String: JSONValue] = [:]
                out.reserveCapacity(o.count)
                for (k, x) in o { out[k] = try walk(x, { "\(field()).\(k)" }) }
                return .object(out)
            default: return v
            }
        }
        return try walk(value, { field })
    }
}
