/// A relation's processing window (the original's alarm-time shield): an action created for a
/// relation with `options.start_time`/`end_time` (or `time_range`, `"HH:MM:SS--HH:MM:SS"`) runs
/// only while the time of day, in the pass's zone (`tick.timezone`), is inside it; a window
/// whose start is after its end spans midnight. Outside, the action ends as `shield`, with the
/// reason, before it runs (docs/original-system.md §6).
package enum ProcessingWindow {
    /// The whole day: nothing is shielded.
    package static let allDay = "00:00:00--23:59:59"

    /// Seconds of the day of a `HH:MM[:SS]` text, or nil.
    package static func secondOfDay(_ text: String) -> Int64? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        var values: [Int64] = []
        for p in parts {
            guard (1...2).contains(p.count), let v = Int64(p) else { return nil }
            values.append(v)
        }
        let (h, m, s) = (values[0], values[1], values.count == 3 ? values[2] : 0)
        guard (0...23).contains(h), (0...59).contains(m), (0...59).contains(s) else { return nil }
        return h * 3600 + m * 60 + s
    }

    /// The window of a `"start--end"` text, or nil when it is not one.
    package static func parse(_ range: String) -> (start: Int64, end: Int64)? {
        let ends = range.components(separatedBy: "--")
        guard ends.count == 2, let a = secondOfDay(ends[0].trimmingWhitespace()), let b = secondOfDay(ends[1].trimmingWhitespace()) else { return nil }
        return (a, b)
    }

    /// Whether the second of the day `t` is inside `window` (ends included).
    package static func contains(_ window: (start: Int64, end: Int64), _ t: Int64) -> Bool {
        window.start <= window.end ? (window.start...window.end).contains(t) : (t >= window.start || t <= window.end)
    }

    /// Why `action` must not run at `wallSecondOfDay` (the time of day in the pass's zone), or
    /// nil: only an action not started yet is checked, and only against a window that is not
    /// the whole day.
    package static func shieldReason(_ action: ClaimedAction, wallSecondOfDay: Int64) -> String? {
        // (The whole-day window fta writes by default is recognised without parsing the inputs.)
        guard action.status == .received, action.nextStep == "execute", action.text.inputs.containsBytes("time_range"),
              !action.text.inputs.containsBytes(#""time_range":"00:00:00--23:59:59""#),
              let range = JSONParser.member(of: action.text.inputs, "time_range")?.stringValue, range != allDay,
              let window = parse(range) else { return nil }
        let t = ((wallSecondOfDay % 86_400) + 86_400) % 86_400
        if contains(window, t) { return nil }
        let now = String(format: "%02d:%02d:%02d", Int(t / 3600), Int(t % 3600 / 60), Int(t % 60))
        return "alert shielded: the current time (\(now)) is outside the processing time range [\(range)]"
    }
}
