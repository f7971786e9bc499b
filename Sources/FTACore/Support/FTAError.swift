/// An error that ends a command. Its message is the one line printed on stderr; it names the
/// file, field or setting at fault and never contains a secret.
package enum FTAError: Error, CustomStringConvertible, Sendable, Equatable {
    case usage(String)
    case config(String)
    case input(String)
    case environment(String)

    package var description: String {
        switch self {
        case .usage(let m), .config(let m), .input(let m), .environment(let m): return m
        }
    }

}
