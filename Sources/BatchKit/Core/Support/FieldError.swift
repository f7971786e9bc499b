/// An input field that is missing or wrong: the message names the field.
public struct FieldError: Error, CustomStringConvertible, Sendable, Equatable {
    public let field: String
    public let message: String
    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}
