/// Retry settings of one action (`failed_retry`, original-system.md §2.5) plus fta's extras.
///
/// `maxRetryTimes = N` allows at most N + 1 executions; `-1` (the default) means no retry.
package struct RetryPolicy: Sendable, Equatable {
    package var maxRetryTimes: Int
    package var retryInterval: Double
    /// Longest wait a server's `Retry-After` may impose (seconds).
    package var retryAfterCap: Double
    /// Fraction of the interval added at random (0 = none, 0.2 = up to +20 %).
    package var jitter: Double

    package init(maxRetryTimes: Int = -1, retryInterval: Double = 0, retryAfterCap: Double = 600, jitter: Double = 0) {
        self.maxRetryTimes = maxRetryTimes
        self.retryInterval = retryInterval
        self.retryAfterCap = retryAfterCap
        self.jitter = jitter
    }

    package static let none = RetryPolicy()

    /// Delay before the next attempt, or `nil` when the failure is final.
    ///
    /// - Parameters:
    ///   - executionsBefore: executions started before the one that just failed
    ///     (the original's `retry_times` as read when the attempt began).
    ///   - failureType: timeouts of the whole action are never retried.
    ///   - retryAfter: the server's hint, honoured up to ``retryAfterCap``.
    ///   - random: a number in 0..<1 for the jitter (passed in so the core stays pure).
    package func delayBeforeRetry(executionsBefore: Int, failureType: FailureType?, retryAfter: Double?, random: Double) -> Double? {
        guard failureType != .timeout, executionsBefore < maxRetryTimes else { return nil }
        // Never sooner than a second after the failure, whatever the config says: a receiver
        // that fails at once must not get a burst of retries (docs/decisions.md).
        var delay = max(InputLimits.minimumRetryInterval, retryInterval.isFinite ? retryInterval : 0)
        if let hint = retryAfter, hint.isFinite, hint > delay { delay = min(hint, max(retryAfterCap, delay)) }
        if jitter > 0, jitter.isFinite, random.isFinite { delay += delay * min(jitter, 1) * min(max(random, 0), 1) }
        return delay
    }
}
