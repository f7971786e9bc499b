/// A template that failed to parse or render: names the field (or template) and the line.
public struct TemplateError: Error, CustomStringConvertible, Sendable {
    public let field: String
    public let message: String
    public var description: String { "template \(field): \(message)" }
}
