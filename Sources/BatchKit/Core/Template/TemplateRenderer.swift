import Foundation
import Stencil

/// Renders Jinja-syntax templates (Stencil) against an action context.
///
/// Parsed templates are cached by their text, so a pass that renders the same webhook
/// config for thousands of actions parses it once. One renderer per worker thread: the
/// cache is not locked.
public final class TemplateRenderer {
    private let environment = Environment()
    private var cache: [String: [NodeType]] = [:]

    public init() {}

    /// Whether `text` contains template markup at all; plain strings are returned unchanged.
    public static func isTemplate(_ text: String) -> Bool {
        text.contains("{{") || text.contains("{%")
    }

    /// Renders `source`; errors name `field` and the template line.
    public func render(_ source: String, field: String, context: [String: Any]) throws -> String {
        guard TemplateRenderer.isTemplate(source) else { return source }
        do {
            let nodes: [NodeType]
            if let cached = cache[source] {
                nodes = cached
            } else {
                let template = Template(templateString: source, environment: environment, name: field)
                nodes = try TokenParser(tokens: template.tokens, environment: environment).parse()
                if cache.count > 4096 { cache.removeAll(keepingCapacity: true) }
                cache[source] = nodes
            }
            return try renderNodes(nodes, Context(dictionary: context, environment: environment))
        } catch let error as TemplateSyntaxError {
            let line = error.token.map { " (line \($0.sourceMap.location.lineNumber))" } ?? ""
            throw TemplateError(field: field, message: "\(error.reason)\(line)")
        } catch {
            throw TemplateError(field: field, message: "\(error)")
        }
    }

    /// Renders every string leaf of a JSON structure; object keys are left as they are.
    public func renderLeaves(_ value: JSONValue, field: String, context: [String: Any]) throws -> JSONValue {
        switch value {
        case .string(let s): return .string(try render(s, field: field, context: context))
        case .array(let a):
            return .array(try a.enumerated().map { try renderLeaves($0.element, field: "\(field)[\($0.offset)]", context: context) })
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, v) in o { out[k] = try renderLeaves(v, field: "\(field).\(k)", context: context) }
            return .object(out)
        default: return value
        }
    }
}

/// A template that failed to parse or render: names the field (or template) and the line.
public struct TemplateError: Error, CustomStringConvertible, Sendable {
    public let field: String
    public let message: String
    public var description: String { "template \(field): \(message)" }
}
