/// A transport failure (no HTTP status): what went wrong, in one line.
package struct TransportError: Error, CustomStringConvertible, Sendable {
    package init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    package enum Kind: Sendable {
        case timeout, connect, tls, other
        /// The request was not sent: a URL or header held a control character.
        case refused
    }
    package var kind: Kind
    package var message: String
    package var description: String { message }
}
