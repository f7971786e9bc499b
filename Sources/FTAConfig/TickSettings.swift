import FTACore

/// `tick:` section: defaults for `fta-tick` passes (flags override them).
package struct TickSettings: Sendable, Equatable {
    package var batch = 500
    package var concurrency = 16
    package var lease: Double = 120
    package var maxRuntime: Double = 50
    /// Longest `Retry-After` honoured on 429/503 (seconds).
    package var retryAfterCap: Double = 600
    /// Random extra fraction added to retry intervals (0 = none).
    package var retryJitter: Double = 0
    /// Per-request timeout when a webhook config has no `failed_retry.timeout`.
    package var defaultRequestTimeout: Double = 10
    /// Response bodies are kept up to this many bytes.
    package var maxResponseBytes = 1 << 20
    package var userAgent = "fta/\(FTAVersion.string)"
    /// Execution notices only for a failure that will not be retried (no start, success or
    /// retried-attempt notices).
    package var executeNotice = ExecutionNotice.Mode.beginAndFinal
    /// The original's template variables' settings (from `templates:` and `timezone`).
    package var templateContext = OriginalContext.Settings()
    /// How notice children converge: the original's forced rule or the relation's config.
    package var noticeConverge = NoticeConvergence.original
    /// Programs script actions may run (paths; an entry ending in `/` allows a directory).
    package var allowedScripts: [String] = []
    /// When set, the only environment variable names script actions may set (`env`). The
    /// loader's and interpreters' variables are refused either way (``ScriptProcessor``).
    package var scriptEnvironment: [String]?
    /// Finished actions are purged this many days after their last change (`fta-tick purge`).
    package var purgeAfterDays = 7
    /// Finished actions a pass purges before it ends (0: only `fta-tick purge` does).
    package var purgePerPass = 0
    /// When interval repeats stop without a recovery event.
    package var repeatLimits = RepeatLimits()
    /// The zone relations' processing windows (`options.start_time`/`end_time`) are read in
    /// (IANA name; nil: the host's local zone).
    package var timezone: String?

    package init() {}

    init(_ value: JSONValue, reader: ConfigReader) throws {
        let o = try reader.object(value, allowed: ["batch", "concurrency", "lease", "max_runtime", "retry_after_cap",
                                                   "retry_jitter", "default_request_timeout", "max_response_bytes", "user_agent",
                                                   "execute_notice", "execute_notice_final_failure_only", "notice_converge", "allowed_scripts", "script_env",
                                                   "purge_after_days", "purge_per_pass", "repeat_seen_window", "repeat_max_rounds",
                                                   "repeat_max_age", "timezone"])
        if let v = o["batch"] { batch = Int(try reader.number(v, "batch", min: 1, max: 100_000)) }
        if let v = o["concurrency"] { concurrency = Int(try reader.number(v, "concurrency", min: 1, max: 512)) }
        if let v = o["lease"] { lease = try reader.number(v, "lease", min: 1, max: 86400) }
        if let v = o["max_runtime"] { maxRuntime = try reader.number(v, "max_runtime", min: 1, max: 86400) }
        if let v = o["retry_after_cap"] { retryAfterCap = try reader.number(v, "retry_after_cap", min: 0, max: 86400) }
        if let v = o["retry_jitter"] { retryJitter = try reader.number(v, "retry_jitter", min: 0, max: 1) }
        if let v = o["default_request_timeout"] { defaultRequestTimeout = try reader.number(v, "default_request_timeout", min: 0.1, max: 7200) }
        if let v = o["max_response_bytes"] { maxResponseBytes = Int(try reader.number(v, "max_response_bytes", min: 1024, max: 1_073_741_824)) }
        if let v = o["user_agent"] {
            userAgent = try reader.string(v, "user_agent")
            if let why = WireCheck.headerValue(userAgent) { throw reader.fail("user_agent", why) }
        }
        if let v = o["allowed_scripts"] {
            guard let list = v.arrayValue else { throw reader.fail("allowed_scripts", "expected a list of absolute paths") }
            allowedScripts = try list.map {
                let p = try reader.string($0, "allowed_scripts")
                guard p.hasPrefix("/") else { throw reader.fail("allowed_scripts", "'\(p)' is not an absolute path") }
                return p
            }
        }
        if let v = o["script_env"], !v.isNull {
            guard let list = v.arrayValue else { throw reader.fail("script_env", "expected a list of variable names") }
            scriptEnvironment = try list.map {
                let name = try reader.string($0, "script_env")
                if let why = WireCheck.environmentName(name) { throw reader.fail("script_env", "'\(MessageText.escaped(name))' is not a variable name: it \(why)") }
                return name
            }
        }
        if let v = o["purge_after_days"] { purgeAfterDays = Int(try reader.number(v, "purge_after_days", min: 1, max: 36_500)) }
        if let v = o["repeat_seen_window"] { repeatLimits.seenWindow = Int64(try reader.number(v, "repeat_seen_window", min: 60, max: 2_592_000)) }
        if let v = o["repeat_max_rounds"] { repeatLimits.maxRounds = Int64(try reader.number(v, "repeat_max_rounds", min: 1, max: 1_000_000)) }
        if let v = o["repeat_max_age"] { repeatLimits.maxAge = Int64(try reader.number(v, "repeat_max_age", min: 60, max: 31_536_000)) }
        if let v = o["timezone"], !v.isNull {
            let zone = try reader.string(v, "timezone")
            guard ZoneClock(identifier: zone) != nil else { throw reader.fail("timezone", "'\(MessageText.escaped(zone))' is not an IANA time zone (e.g. Asia/Shanghai)") }
            timezone = zone
        }
        if let v = o["purge_per_pass"] { purgePerPass = Int(try reader.number(v, "purge_per_pass", min: 0, max: 1_000_000)) }
        if let v = o["execute_notice"] {
            let text = try reader.string(v, "execute_notice")
            guard let mode = ExecutionNotice.Mode(rawValue: text) else {
                throw reader.fail("execute_notice", "'\(MessageText.escaped(text))' is not one of \(ExecutionNotice.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            executeNotice = mode
        }
        if let v = o["notice_converge"] {
            noticeConverge = NoticeConvergence(rawValue: try reader.choice(v, "notice_converge", NoticeConvergence.allCases.map(\.rawValue)))!
        }
        // The earlier switch, still read: true is final_failure_only.
        if let v = o["execute_notice_final_failure_only"] {
            guard let b = v.boolValue else { throw reader.fail("execute_notice_final_failure_only", "expected true or false") }
            if b { executeNotice = .finalFailureOnly }
        }
    }
}
