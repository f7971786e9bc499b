/// When an interval repeat stops although no recovery or close event came (docs/decisions.md
/// "Interval repeats end"): the original repeats only while its detection still reports the
/// alert (a result kept 3 hours); fta repeats while events keep seeing the alert abnormal
/// within `seenWindow`, and never beyond `maxRounds` or `maxAge`, so a lost recovery event
/// cannot page someone forever.
package struct RepeatLimits: Sendable, Equatable {
    package var seenWindow: Int64 = 10_800
    package var maxRounds: Int64 = 1_000
    package var maxAge: Int64 = 7 * 86_400

    package init(seenWindow: Int64 = 10_800, maxRounds: Int64 = 1_000, maxAge: Int64 = 7 * 86_400) {
        self.seenWindow = seenWindow
        self.maxRounds = maxRounds
        self.maxAge = maxAge
    }

    /// Why the repeat `due` ends at `now` instead of sending another round, or nil.
    package func stopReason(_ due: DueRepeat, now: Int64) -> String? {
        if now - due.seenAt > seenWindow {
            return "alert \(due.alertId) not seen for \(now - due.seenAt) s (more than tick.repeat_seen_window, \(seenWindow) s): its interval notices stop"
        }
        if due.rounds >= maxRounds {
            return "alert \(due.alertId): \(due.rounds) rounds sent, tick.repeat_max_rounds (\(maxRounds)) reached: its interval notices stop"
        }
        if now - due.startedAt > maxAge {
            return "alert \(due.alertId): repeating for \(now - due.startedAt) s, more than tick.repeat_max_age (\(maxAge) s): its interval notices stop"
        }
        return nil
    }
}
