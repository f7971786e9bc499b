/// Exit statuses shared by all four commands (ARCHITECTURE §4).
public enum ExitStatus: Int32, Sendable {
    /// The pass completed; failed actions are recorded outcomes, not errors.
    case ok = 0
    /// Completed, but something needs attention (rows rejected, sends failed).
    case attention = 1
    /// Usage, config or input error.
    case usage = 2
    /// Environment error: database cannot be opened or is locked, a server is unreachable.
    case environment = 3
}

/// An error that ends a command. Its message is the one line printed on stderr; it names the
/// file, field or setting at fault and never contains a secret.
public enum FTAError: Error, CustomStringConvertible, Sendable, Equatable {
    case usage(String)
    case config(String)
    case input(String)
    case environment(String)

    public var description: String {
        switch self {
        case .usage(let m), .config(let m), .input(let m), .environment(let m): return m
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .usage, .config, .input: return .usage
        case .environment: return .environment
        }
    }
}
