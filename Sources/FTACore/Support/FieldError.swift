/// An input field that is missing or wrong: the message names the field.
package struct FieldError: Error, CustomStringConvertible, Sendable, Equatable {
    package let field: String
    package let message: String
    package init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    package var description: String { field.isEmpty ? message : "\(field): \(message)" }
}
