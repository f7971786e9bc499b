/// The ranges fta accepts for numbers that come from input or config, and arithmetic on times
/// that cannot trap. Every limit here is listed in docs/decisions.md ("Validation limits").
package enum InputLimits {
    /// Epoch seconds fta accepts as a time (`due_at`, `--now`, alert times): 1970-01-01T00:00:00Z
    /// to 9999-12-31T23:59:59Z. Far enough for any real use, and small enough that adding any
    /// accepted duration to it stays far from `Int64.max`.
    package static let time: ClosedRange<Int64> = 0...253_402_300_799
    /// The longest duration fta schedules anything after (a retry, a poll, an interval
    /// round): ten years. Longer inputs are refused where they are read.
    package static let maxDelay: Int64 = 10 * 366 * 86_400
    /// Rounds of an interval notice (`execute_times` of an event).
    package static let rounds: ClosedRange<Int64> = 0...1_000_000
    /// `notify_interval` of notice and webhook packages (seconds; 0 = no repeat). The
    /// original's minimum is 60; fta accepts less for tests and demos, and up to a year.
    package static let notifyInterval: ClosedRange<Int64> = 0...31_536_000
    /// The shortest time between two attempts of a failed action (`retry_interval` below it is
    /// raised to it), so a failing receiver is not hammered.
    package static let minimumRetryInterval: Double = 1
    /// `retry_interval` (seconds).
    package static let retryInterval: ClosedRange<Double> = 0...86_400
    /// `max_retry_times`.
    package static let maxRetryTimes: ClosedRange<Int64> = -1...1_000
    /// Ids (strategy, relation, config, business): any integer that fits, as the original's.
    package static let id: ClosedRange<Int64> = Int64.min / 2...Int64.max / 2
    /// One input line (enqueue, ingest), in bytes.
    package static let maxLineBytes = 16 << 20

    /// Whether `t` is an accepted time.
    package static func isTime(_ t: Int64) -> Bool { time.contains(t) }

    /// `start + seconds`, never trapping: the result is clamped to the accepted times.
    package static func add(_ start: Int64, _ seconds: Int64) -> Int64 {
        let (sum, overflow) = start.addingReportingOverflow(seconds)
        if overflow { return seconds < 0 ? time.lowerBound : time.upperBound }
        return min(max(sum, time.lowerBound), time.upperBound)
    }

    /// A delay given as fractional seconds, rounded up to whole seconds and clamped to
    /// `0...maxDelay` (NaN counts as 0).
    package static func seconds(_ delay: Double) -> Int64 {
        guard delay.isFinite else { return delay == .infinity ? maxDelay : 0 }
        if delay <= 0 { return 0 }
        if delay >= Double(maxDelay) { return maxDelay }
        return Int64(delay.rounded(.up))
    }

    /// `start + delay` for a delay in fractional seconds, clamped as ``seconds(_:)``.
    package static func after(_ start: Int64, _ delay: Double) -> Int64 { add(start, seconds(delay)) }

    /// An instant `delay` seconds after `start`, keeping the fraction (to the millisecond): the
    /// due time of a retry or a poll. The delay is clamped to `0...maxDelay`, the result to ``time``.
    package static func instant(after start: Double, _ delay: Double) -> Double {
        let d = delay.isFinite ? min(max(delay, 0), Double(maxDelay)) : (delay == .infinity ? Double(maxDelay) : 0)
        let t = ((start + d) * 1000).rounded() / 1000
        return min(max(t, Double(time.lowerBound)), Double(time.upperBound))
    }
}
