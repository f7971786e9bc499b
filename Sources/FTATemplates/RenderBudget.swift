import Foundation
import Stencil

/// How much one template rendering may do. Templates come with action configs (and so, with
/// alert events); without a bound, three nested loops over a long list keep a worker busy past
/// `--max-runtime` and SIGTERM. A rendering that goes past a limit fails its action with a
/// message naming the limit (docs/decisions.md, "Validation limits").
final class RenderBudget {
    /// Loop iterations, over all loops of one rendering.
    static let maxIterations = 100_000
    /// Bytes of output, counted as loops produce it and for the whole result.
    static let maxOutputBytes = 2 << 20
    /// Wall-clock time of one rendering.
    static let maxSeconds = 2.0
    /// Where the budget travels in a Stencil context.
    static let contextKey = "__fta_render_budget"

    private(set) var iterations = 0
    private(set) var outputBytes = 0
    private let deadline: UInt64

    init() {
        deadline = DispatchTime.now().uptimeNanoseconds + UInt64(RenderBudget.maxSeconds * 1e9)
    }

    /// The error a rendering stops with; its text names the limit.
    struct Exceeded: Error, CustomStringConvertible {
        let description: String
    }

    /// Counts `n` loop iterations (before they run), failing past the limits.
    func iterate(_ n: Int = 1) throws {
        iterations += n
        if iterations > RenderBudget.maxIterations {
            throw Exceeded(description: "rendering stopped: more than \(RenderBudget.maxIterations) loop iterations (the limit per template)")
        }
        if iterations & 255 == 0 { try checkTime() }
    }

    /// Counts `n` bytes of output produced by a loop.
    func produce(_ n: Int) throws {
        outputBytes += n
        if outputBytes > RenderBudget.maxOutputBytes {
            throw Exceeded(description: "rendering stopped: output larger than \(RenderBudget.maxOutputBytes >> 20) MiB (the limit per template)")
        }
    }

    func checkTime() throws {
        if DispatchTime.now().uptimeNanoseconds > deadline {
            throw Exceeded(description: "rendering stopped: it took longer than \(Int(RenderBudget.maxSeconds)) s (the limit per template)")
        }
    }

    static func of(_ context: Context) -> RenderBudget? { context[contextKey] as? RenderBudget }
}

/// `{% for x in list [where cond] %}…{% empty %}…{% endfor %}`, as Stencil's own tag (the same
/// `forloop` variables, `break`/`continue`, labels), counting every iteration and its output
/// against the rendering's ``RenderBudget``. It also sets Jinja's `loop` (`index`, `index0`,
/// `revindex`, `revindex0`, `first`, `last`, `length`), which the original's templates use.
final class BoundedForNode: NodeType {
    let resolvable: Resolvable
    let loopVariables: [String]
    let nodes: [NodeType]
    let emptyNodes: [NodeType]
    let condition: Stencil.Expression?
    let label: String?
    let token: Token?

    static let breakKey = "_internal_forloop_break"
    static let continueKey = "_internal_forloop_continue"

    init(resolvable: Resolvable, loopVariables: [String], nodes: [NodeType], emptyNodes: [NodeType], condition: Stencil.Expression?, label: String?, token: Token?) {
        self.resolvable = resolvable
        self.loopVariables = loopVariables
        self.nodes = nodes
        self.emptyNodes = emptyNodes
        self.condition = condition
        self.label = label
        self.token = token
    }

    static func parse(_ parser: TokenParser, token: Token) throws -> NodeType {
        var components = token.components
        var label: String?
        if components.first?.hasSuffix(":") == true { label = String(components.removeFirst().dropLast()) }
        func has(_ word: String, at i: Int) -> Bool { components.count > i + 1 && components[i] == word }
        guard has("in", at: 2), components.count == 4 || has("where", at: 4) else {
            throw TemplateSyntaxError("'for' statements should use the syntax: `for <x> in <y> [where <condition>]`.")
        }
        let variables = components[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let resolvable = try parser.compileResolvable(components[3], containedIn: token)
        let condition = has("where", at: 4) ? try parser.compileExpression(components: Array(components.suffix(from: 5)), token: token) : nil
        let body = try parser.parse(until(["endfor", "empty"]))
        guard let end = parser.nextToken() else { throw TemplateSyntaxError("`endfor` was not found.") }
        var empty: [NodeType] = []
        if end.contents == "empty" {
            empty = try parser.parse(until(["endfor"]))
            _ = parser.nextToken()
        }
        return BoundedForNode(resolvable: resolvable, loopVariables: variables, nodes: body, emptyNodes: empty, condition: condition, label: label, token: token)
    }

    func render(_ context: Context) throws -> String {
        let budget = RenderBudget.of(context)
        var values = try items(context, budget: budget)
        if let condition {
            values = try values.filter { item in
                try budget?.iterate()
                return try push(item, context) { try condition.evaluate(context: context) }
            }
        }
        guard !values.isEmpty else { return try context.push { try renderNodes(emptyNodes, context) } }
        let count = values.count
        var result = ""
        let parents = (context["forloop"] as? [String: Any])?.filter { ($1 as? [String: Any])?["label"] != nil } ?? [:]
        for (index, item) in values.enumerated() {
            try budget?.iterate()
            var forloop: [String: Any] = ["first": index == 0, "last": index == count - 1, "counter": index + 1, "counter0": index, "length": count]
            if let label {
                forloop["label"] = label
                forloop[label] = forloop
            }
            forloop.merge(parents) { mine, _ in mine }
            let loop: [String: Any] = ["index": index + 1, "index0": index, "revindex": count - index, "revindex0": count - index - 1,
                                       "first": index == 0, "last": index == count - 1, "length": count]
            var stop = false
            let chunk = try context.push(dictionary: ["forloop": forloop, "loop": loop]) { () throws -> String in
                defer {
                    if let target = context[BoundedForNode.continueKey] as? String {
                        stop = target != label || label == nil
                    } else {
                        stop = context[BoundedForNode.breakKey] != nil
                    }
                }
                return try push(item, context) { try renderNodes(nodes, context) }
            }
            try budget?.produce(chunk.utf8.count)
            result += chunk
            if stop { break }
        }
        return result
    }

    private func push<T>(_ value: Any, _ context: Context, _ body: () throws -> T) throws -> T {
        guard let first = loopVariables.first else { return try context.push { try body() } }
        let mirror = Mirror(reflecting: value)
        if case .tuple? = mirror.displayStyle {
            guard loopVariables.count <= mirror.children.count else { throw TemplateSyntaxError("Tuple '\(value)' has less values than loop variables") }
            var vars: [String: Any] = [:]
            for (i, child) in mirror.children.prefix(loopVariables.count).enumerated() where loopVariables[i] != "_" { vars[loopVariables[i]] = child.value }
            return try context.push(dictionary: vars) { try body() }
        }
        return try context.push(dictionary: [first: value]) { try body() }
    }

    /// The values to loop over. Ranges are sized before they are built, so `1...1000000000`
    /// fails on the budget instead of allocating.
    private func items(_ context: Context, budget: RenderBudget?) throws -> [Any] {
        let resolved = try resolvable.resolve(context)
        func sized(_ n: Int) throws {
            if n > RenderBudget.maxIterations {
                throw RenderBudget.Exceeded(description: "rendering stopped: a loop over more than \(RenderBudget.maxIterations) items (the limit per template)")
            }
        }
        if let dictionary = resolved as? [String: Any], !dictionary.isEmpty {
            return dictionary.sorted { $0.key < $1.key }
        } else if let array = resolved as? [Any] {
            return array
        } else if let range = resolved as? CountableClosedRange<Int> {
            // (Counted without `count`, which traps for ranges wider than Int.)
            let (span, overflow) = range.upperBound.subtractingReportingOverflow(range.lowerBound)
            try sized(overflow || span >= RenderBudget.maxIterations ? Int.max : span + 1)
            return Array(range)
        } else if let range = resolved as? CountableRange<Int> {
            let (span, overflow) = range.upperBound.subtractingReportingOverflow(range.lowerBound)
            try sized(overflow ? Int.max : span)
            return Array(range)
        } else if let resolved {
            let mirror = Mirror(reflecting: resolved)
            switch mirror.displayStyle {
            case .struct?, .tuple?: return Array(mirror.children)
            default: return []
            }
        }
        return []
    }
}
