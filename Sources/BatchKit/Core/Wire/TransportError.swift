/// A transport failure (no HTTP status): what went wrong, in one line.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        case timeout, connect, tls, other
        /// The request was not sent: a URL or header held a control character.
        case refused
    }
    public var kind: Kind
    public var message: String
    public var description: String { message }
}
