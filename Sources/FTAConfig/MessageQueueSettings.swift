import FTACore

/// `message_queue:` section: where alert events are pushed (original-system.md §3.7).
///
/// ```yaml
/// message_queue:
///   dsn: redis://:${REDIS_PASSWORD}@127.0.0.1:6379/0/fta_alerts   # or by business:
///   # dsn: {"0": redis://.../0/all_alerts, "2": redis://.../0/biz2_alerts}
///   max_length: 10000        # LTRIM the list to this many entries (0: no trim)
///   payload: callback_message   # or alert_info
///   push_shielded_alerts: true
///   max_retry_times: 2
///   retry_interval: 60
/// ```
package struct MessageQueueSettings: Sendable, Equatable {
    /// DSNs by business id; `"0"` is used for every business.
    package var dsns: [String: String] = [:]
    package var maxLength = 0
    package var payload = "callback_message"
    package var pushShieldedAlerts = true
    package var maxRetryTimes = 2
    package var retryInterval: Double = 60
    package var timeout: Double = 5

    package var isEnabled: Bool { dsns.values.contains { !$0.isEmpty } }

    package init() {}

    init(_ value: JSONValue, reader: ConfigReader) throws {
        let o = try reader.object(value, allowed: ["dsn", "max_length", "payload", "push_shielded_alerts", "max_retry_times", "retry_interval", "timeout"])
        switch o["dsn"] {
        case .string(let s)?: if !s.isEmpty { dsns["0"] = s }
        case .object(let byBiz)?: for (biz, v) in byBiz { dsns[biz] = try reader.string(v, "dsn.\(biz)") }
        case nil, .null?: break
        default: throw reader.fail("dsn", "expected a DSN, or a mapping of business id to DSN")
        }
        for (biz, dsn) in dsns where !dsn.isEmpty {
            do { _ = try RedisTarget.parse(dsn) } catch let e as FieldError { throw reader.fail(biz == "0" && o["dsn"]?.stringValue != nil ? "dsn" : "dsn.\(biz)", e.message) }
        }
        if let v = o["max_length"] { maxLength = Int(try reader.number(v, "max_length", min: 0, max: 1e9)) }
        if let v = o["payload"] { payload = try reader.choice(v, "payload", ["callback_message", "alert_info"]) }
        if let v = o["push_shielded_alerts"] { pushShieldedAlerts = try reader.bool(v, "push_shielded_alerts") }
        if let v = o["max_retry_times"] { maxRetryTimes = Int(try reader.number(v, "max_retry_times", min: 0, max: 100)) }
        if let v = o["retry_interval"] { retryInterval = try reader.number(v, "retry_interval", min: 0, max: 86400) }
        if let v = o["timeout"] { timeout = try reader.number(v, "timeout", min: 0.1, max: 600) }
    }
}
