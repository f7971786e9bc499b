/// Interval (periodic) repeats of an action while its alert stays abnormal (original-system.md §2.8).
package enum IntervalRule {
    /// `calc_action_interval`: seconds until the next round after `rounds` rounds, or 0 for
    /// none. Standard mode repeats every `notify_interval`; increasing mode waits
    /// `notify_interval × 2^(rounds−1)`.
    package static func interval(templateDetail: JSONValue?, rounds: Int64) -> Int64 {
        guard let detail = templateDetail, detail.objectValue != nil else { return 0 }
        // Clamped for rows stored before the range check existed (``PollSettings``).
        let base = min(detail["notify_interval"]?.intValue ?? 0, InputLimits.notifyInterval.upperBound)
        guard base > 0 else { return 0 }
        guard detail["interval_notify_mode"]?.stringValue == "increasing" else { return base }
        let exponent = max(0, rounds - 1)
        // Capped so that a long-running alert cannot overflow: 2^40 s is beyond any alert's life.
        let factor = exponent >= 40 ? Int64(1) << 40 : Int64(1) << exponent
        let (product, overflow) = base.multipliedReportingOverflow(by: factor)
        return overflow ? InputLimits.maxDelay : min(product, InputLimits.maxDelay)
    }

    /// `need_poll`: whether an action repeats at all. One alert only, not an upgrade notice,
    /// and a `template_detail`. Actions repeat when `need_poll` is true; notice parents repeat
    /// unless `need_poll` is explicitly false (the original repeated them even then).
    package static func needPoll(templateDetail: JSONValue?, alertCount: Int, isParent: Bool, noticeType: String) -> Bool {
        guard alertCount == 1, noticeType != "upgrade", let detail = templateDetail, detail.objectValue != nil else { return false }
        switch detail["need_poll"]?.boolValue {
        case true?: return true
        case false?: return false
        case nil: return isParent
        }
    }
}
