import Foundation

/// Where a command gets the time: the real clock, or one fixed instant (`--now`) so tests,
/// backfills and what-if runs are reproducible.
public enum Clock: Sendable, Equatable {
    case system
    case fixed(Int64)

    public func now() -> Int64 {
        switch self {
        case .system: return Int64(Date().timeIntervalSince1970)
        case .fixed(let t): return t
        }
    }
}
