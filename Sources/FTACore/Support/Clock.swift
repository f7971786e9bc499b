/// Where a command gets the time: one fixed instant (`--now`, so tests, backfills and what-if
/// runs are reproducible) or a live clock. The core never reads the time itself; the live
/// clock (``Clock/system``) is made where the operating system is (FTATransport).
package struct Clock: Sendable {
    private let read: @Sendable () -> Double
    /// The instant of a fixed clock; nil for a live one.
    package let fixedInstant: Int64?

    /// A live clock reading epoch seconds, with their fraction, from `read`.
    package init(_ read: @escaping @Sendable () -> Double) {
        self.read = read
        fixedInstant = nil
    }

    private init(fixed t: Int64) {
        read = { Double(t) }
        fixedInstant = t
    }

    /// A clock that always says `t`.
    package static func fixed(_ t: Int64) -> Clock { Clock(fixed: t) }

    /// Whole epoch seconds (rounded down): the resolution of the times fta records.
    package func now() -> Int64 { Int64(read().rounded(.down)) }

    /// Epoch seconds with their fraction: for due times within the second (retries, polls)
    /// and for waiting until one.
    package func instant() -> Double { read() }
}
