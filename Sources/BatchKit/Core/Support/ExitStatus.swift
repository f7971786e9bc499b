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
