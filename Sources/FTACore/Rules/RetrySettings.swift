/// A package's `failed_retry` (the original's `FailedRetryConfigSlz`): `is_enabled`, `timeout`
/// (seconds per attempt), `max_retry_times` and `retry_interval`, checked field by field.
package struct RetrySettings: Sendable, Equatable {
    package static let keys: Set<String> = ["is_enabled", "timeout", "max_retry_times", "retry_interval"]

    /// Executions after the first (`-1`: no retry).
    package var maxRetryTimes: Int = -1
    package var retryInterval: Double = 0
    /// Per-attempt timeout, when given.
    package var timeout: Double?

    package init() {}

    /// Parses `value` (nil or null: no retry); errors name `field` and the key.
    package static func parse(_ value: JSONValue?, field: String) throws -> RetrySettings {
        var r = RetrySettings()
        guard let value, !value.isNull else { return r }
        guard case .object(let o) = value else { throw FieldError(field, "expected an object") }
        try KnownKeys.check(value, allowed: keys, field: field)
        if let t = o["timeout"], !t.isNull {
            guard let v = t.doubleValue, v > 0, v <= 604_800 else { throw FieldError("\(field).timeout", "expected seconds in 1...604800") }
            r.timeout = v
        }
        if let m = o["max_retry_times"], !m.isNull {
            let range = InputLimits.maxRetryTimes
            guard m.boolValue == nil, let v = m.intValue, range.contains(v) else {
                throw FieldError("\(field).max_retry_times", "expected an integer in 0...\(range.upperBound)")
            }
            r.maxRetryTimes = Int(v)
        }
        if let i = o["retry_interval"], !i.isNull {
            guard let v = i.doubleValue, InputLimits.retryInterval.contains(v) else {
                throw FieldError("\(field).retry_interval", "expected seconds in 0...\(Int(InputLimits.retryInterval.upperBound))")
            }
            r.retryInterval = v
        }
        if let e = o["is_enabled"], !e.isNull {
            guard let b = e.boolValue else { throw FieldError("\(field).is_enabled", "expected true or false") }
            if !b { r.maxRetryTimes = -1 }
        }
        return r
    }

    package func policy(retryAfterCap: Double, jitter: Double) -> RetryPolicy {
        RetryPolicy(maxRetryTimes: maxRetryTimes, retryInterval: retryInterval, retryAfterCap: retryAfterCap, jitter: jitter)
    }
}
