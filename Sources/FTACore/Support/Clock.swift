/// Where a command gets the time: one fixed instant (`--now`, so tests, backfills and what-if
/// runs are reproducible) or a live clock. The core never reads the time itself; the live
/// clock (``Clock/system``) is made where the operating system is (FTATransport).
package struct Clock: Sendable {
    private let read: @Sendable () -> Int64
    /// The instant of a fixed clock; nil for a live one.
    package let fixedInstant: Int64?

    /// A live clock reading epoch seconds from `read`.
    package init(_ read: @escaping @Sendable () -> Int64) {
        self.read = read
        fixedInstant = nil
    }

    private init(fixed t: Int64) {
        read = { t }
        fixedInstant = t
    }

    /// A clock that always says `t`.
    package static func fixed(_ t: Int64) -> Clock { Clock(fixed: t) }

    package func now() -> Int64 { read() }
}
