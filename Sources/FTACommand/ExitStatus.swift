import FTACore

/// Exit statuses shared by all four commands (docs/architecture.md, "Exit codes").
package enum ExitStatus: Int32, Sendable {
    /// The pass completed; failed actions are recorded outcomes, not errors.
    case ok = 0
    /// Completed, but something needs attention (rows rejected, sends failed).
    case attention = 1
    /// Usage, config or input error.
    case usage = 2
    /// Environment error: database cannot be opened or is locked, a server is unreachable.
    case environment = 3
}

extension FTAError {
    /// The exit status a command ends with for this error.
    package var exitStatus: ExitStatus {
        switch self {
        case .usage, .config, .input: return .usage
        case .environment: return .environment
        }
    }
}
