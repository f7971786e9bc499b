/// A template that failed to parse or render: names the field (or template) and the line.
package struct TemplateError: Error, CustomStringConvertible, Sendable {
    package init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    package let field: String
    package let message: String
    package var description: String { "template \(field): \(message)" }
}
