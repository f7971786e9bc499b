import Foundation

/// A duty rule in the original's JSON shape (`category`, `effective_time`, `end_time`,
/// `duty_arranges[]` with `duty_users`, `group_type`, `group_number` and `duty_time[]`),
/// checked field by field. The rotation state the generator carries from one batch to the next
/// (`duty_arranges[].last_user_index`, `duty_arranges[].duty_time[].begin_time`) lives in the
/// same structure, as in the original's snapshots.
package struct DutyRule: Sendable, Equatable {
    package var id: Int64
    package var name: String
    package var bkBizId: Int64
    package var enabled: Bool
    /// `regular` is fixed duty; anything else rotates (only `handoff` is re-aligned from its
    /// effective time, as in the original).
    package var category: String
    /// `YYYY-MM-DD HH:MM:SS`, normalised.
    package var effectiveTime: String
    /// `YYYY-MM-DD HH:MM:SS`, or empty for no end.
    package var endTime: String
    package var arranges: [DutyArrange]
    /// The rule as given, without the state keys: written back by ``json(withState:)`` so user
    /// objects and keys fta does not read are carried through untouched.
    package var raw: [String: JSONValue]

    package var isRegular: Bool { category == "regular" }
    package var isHandoff: Bool { category == "handoff" }
    package var label: String { name.isEmpty ? "rule \(id)" : "rule \(id) (\(name))" }

    /// A fingerprint of what plans depend on (effective and end time, arrangements without
    /// state). Name, labels and `enabled` are not part of it, as in the original.
    package var hash: String {
        let body: JSONValue = .object(["effective_time": .string(effectiveTime), "end_time": .string(endTime),
                                       "category": .string(category),
                                       "duty_arranges": .array(arranges.map { $0.json(withState: false) })])
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in JSONWriter.write(body).utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The rule as JSON; with `withState`, the rotation state keys are included.
    package func json(withState: Bool) -> JSONValue {
        var o = raw
        if id > 0 { o["id"] = .int(id) }
        if !name.isEmpty || o["name"] != nil { o["name"] = .string(name) }
        o["enabled"] = .bool(enabled)
        o["category"] = .string(category)
        o["effective_time"] = .string(effectiveTime)
        o["end_time"] = .string(endTime)
        o["duty_arranges"] = .array(arranges.map { $0.json(withState: withState) })
        return .object(o)
    }

    /// Only the state keys, in the rule's shape:
    /// `{"duty_arranges": [{"last_user_index": N, "duty_time": [{"begin_time": "..."}]}]}`.
    package var state: JSONValue {
        .object(["duty_arranges": .array(arranges.map { a in
            .object(["last_user_index": .int(Int64(a.lastUserIndex ?? 0)),
                     "duty_time": .array(a.times.map { t in .object(t.beginTime.map { ["begin_time": .string($0)] } ?? [:]) })])
        })])
    }

    /// Parses and checks a rule. Errors name the rule and the field:
    /// `rule 3 (night): duty_arranges[0].duty_time[1].work_type: unknown value 'hourly' …`.
    /// `requireId` is for stored rules (groups refer to them by id).
    package static func parse(_ value: JSONValue, requireId: Bool = true, fallbackLabel: String = "rule") throws -> DutyRule {
        guard case .object(var o) = value else { throw FTAError.input("\(fallbackLabel): expected an object, got \(value.typeName)") }
        let id = o["id"]?.intValue
        let name = o["name"]?.stringValue ?? ""
        let label = id.map { name.isEmpty ? "rule \($0)" : "rule \($0) (\(name))" } ?? (name.isEmpty ? fallbackLabel : "rule (\(name))")
        func fail(_ field: String, _ message: String) -> FTAError { .input("\(label): \(field): \(message)") }
        if requireId {
            guard let id, id > 0 else { throw fail("id", o["id"] == nil ? "missing (rules are referred to by id)" : "expected a positive integer") }
        }
        if let n = o["name"], n.stringValue == nil, !n.isNull { throw fail("name", "expected a string") }
        var enabled = true
        if let e = o["enabled"], !e.isNull {
            guard let b = e.boolValue ?? e.intValue.map({ $0 != 0 }) else { throw fail("enabled", "expected true or false") }
            enabled = b
        }
        var category = "regular"
        if let c = o["category"], !c.isNull {
            guard let s = c.stringValue, !s.isEmpty else { throw fail("category", "expected regular or handoff") }
            category = s
        }
        func time(_ key: String, required: Bool) throws -> String {
            guard let v = o[key], !v.isNull, v.stringValue != "" else {
                if required { throw fail(key, "missing (YYYY-MM-DD HH:MM:SS)") }
                return ""
            }
            guard let s = v.stringValue, let t = WallTime.parse(s) else {
                throw fail(key, "'\(v.stringValue ?? v.typeName)' is not a time of the form YYYY-MM-DD HH:MM:SS")
            }
            return t.text
        }
        let effective = try time("effective_time", required: true)
        let end = try time("end_time", required: false)
        if !end.isEmpty, end <= effective { throw fail("end_time", "\(end) is not after effective_time \(effective)") }
        guard let arrangesValue = o["duty_arranges"] else { throw fail("duty_arranges", "missing") }
        guard case .array(let list) = arrangesValue else { throw fail("duty_arranges", "expected a list") }
        var arranges: [DutyArrange] = []
        for (i, a) in list.enumerated() {
            arranges.append(try DutyArrange.parse(a, path: "duty_arranges[\(i)]", rotating: category != "regular", fail: fail))
        }
        o["duty_arranges"] = nil
        o["effective_time"] = .string(effective)
        o["end_time"] = .string(end)
        return DutyRule(id: id ?? 0, name: name, bkBizId: o["bk_biz_id"]?.intValue ?? 0, enabled: enabled, category: category,
                        effectiveTime: effective, endTime: end, arranges: arranges, raw: o)
    }

    /// This rule with its rotation state taken from `state` (the shape of ``state``); absent
    /// entries leave the state as it is.
    package mutating func merge(state: JSONValue) {
        guard let list = state["duty_arranges"]?.arrayValue else { return }
        for (i, a) in list.enumerated() where i < arranges.count {
            if let n = a["last_user_index"]?.intValue { arranges[i].lastUserIndex = Int(n) }
            for (j, t) in (a["duty_time"]?.arrayValue ?? []).enumerated() where j < arranges[i].times.count {
                if let b = t["begin_time"]?.stringValue, let w = WallTime.parse(b) { arranges[i].times[j].beginTime = w.text }
            }
        }
    }

    /// The same rule without rotation state.
    package var withoutState: DutyRule {
        var r = self
        for i in r.arranges.indices {
            r.arranges[i].lastUserIndex = nil
            for j in r.arranges[i].times.indices { r.arranges[i].times[j].beginTime = nil }
        }
        return r
    }
}

/// One arrangement (`duty_arranges[i]`): who (`duty_users`, `group_type`, `group_number`) and
/// when (`duty_time`).
package struct DutyArrange: Sendable, Equatable {
    /// `duty_users`: shift groups (specified) or, for auto, `[people]`; user objects untouched.
    package var dutyUsers: [[JSONValue]]
    package var isAuto: Bool
    package var groupNumber: Int
    package var times: [DutyTime]
    package var lastUserIndex: Int?
    var raw: [String: JSONValue]

    func json(withState: Bool) -> JSONValue {
        var o = raw
        o["duty_time"] = .array(times.map { $0.json(withState: withState) })
        if withState, let i = lastUserIndex { o["last_user_index"] = .int(Int64(i)) }
        return .object(o)
    }

    static func parse(_ value: JSONValue, path: String, rotating: Bool, fail: (String, String) -> FTAError) throws -> DutyArrange {
        guard case .object(var o) = value else { throw fail(path, "expected an object") }
        var users: [[JSONValue]] = []
        if let u = o["duty_users"], !u.isNull {
            guard case .array(let groups) = u else { throw fail("\(path).duty_users", "expected a list of user lists") }
            for (i, g) in groups.enumerated() {
                guard case .array(let members) = g else { throw fail("\(path).duty_users[\(i)]", "expected a list of users") }
                for (j, m) in members.enumerated() {
                    guard let id = m["id"], id.stringValue != nil || id.intValue != nil else {
                        throw fail("\(path).duty_users[\(i)][\(j)]", "expected a user object {\"id\": ..., \"type\": \"user\"}")
                    }
                    if let t = m["type"], let s = t.stringValue, s != "user", s != "group" {
                        throw fail("\(path).duty_users[\(i)][\(j)].type", "'\(s)' is not user or group")
                    }
                }
                users.append(members)
            }
        }
        let groupType = o["group_type"]?.stringValue ?? "specified"
        let isAuto = groupType == "auto"
        var number = 0
        if let n = o["group_number"], !n.isNull {
            guard let v = n.intValue else { throw fail("\(path).group_number", "expected an integer") }
            number = Int(v)
        }
        if isAuto, number < 1 { throw fail("\(path).group_number", "must be at least 1 for group_type auto (people per shift), got \(number)") }
        guard let t = o["duty_time"], case .array(let timeList) = t, !timeList.isEmpty else {
            throw fail("\(path).duty_time", "expected a non-empty list of duty times")
        }
        var times: [DutyTime] = []
        for (i, dt) in timeList.enumerated() {
            let p = "\(path).duty_time[\(i)]"
            let time = try DutyTime.parse(dt, path: p, rotating: rotating, fail: fail)
            if rotating, time.periodDays != nil, timeList.count > 1 {
                throw fail("\(p).period_settings", "an arrangement with period_settings has exactly one duty_time (the original ignores or crashes on the others)")
            }
            times.append(time)
        }
        var last: Int?
        if let l = o["last_user_index"], !l.isNull {
            guard let v = l.intValue, v >= 0 else { throw fail("\(path).last_user_index", "expected an index ≥ 0") }
            last = Int(v)
        }
        o["duty_time"] = nil
        o["last_user_index"] = nil
        return DutyArrange(dutyUsers: users, isAuto: isAuto, groupNumber: isAuto ? number : 1, times: times, lastUserIndex: last, raw: o)
    }
}

/// One duty time (`duty_time[i]`).
package struct DutyTime: Sendable, Equatable {
    package enum WorkType: String, Sendable, CaseIterable {
        case daily, weekly, monthly, work_day, weekend, date_range
        var isWeekLike: Bool { self == .weekly || self == .work_day || self == .weekend }
    }
    package var workType: WorkType
    package var workDays: [Int]
    package var dateRanges: [(from: String, to: String)]
    package var isDatetimeRange: Bool
    /// `HH:MM--HH:MM` entries, or one `DD HH:MM--DD HH:MM` for datetime ranges.
    package var workTime: [String]
    /// `workTime` read once: clock seconds of each `HH:MM--HH:MM` (for time ranges), or the
    /// days and clocks of the datetime range.
    var clocks: [(start: Int64, end: Int64)] = []
    var span: (startDay: Int, startClock: Int64, endDay: Int, endClock: Int64)?
    /// `period_settings.duration`, nil without period settings.
    package var periodDays: Int?
    /// State: the next day this duty time plans (`YYYY-MM-DD HH:MM:SS`).
    package var beginTime: String?
    var raw: [String: JSONValue]

    package static func == (a: DutyTime, b: DutyTime) -> Bool {
        a.workType == b.workType && a.workDays == b.workDays && a.dateRanges.map(\.from) == b.dateRanges.map(\.from)
            && a.dateRanges.map(\.to) == b.dateRanges.map(\.to) && a.isDatetimeRange == b.isDatetimeRange && a.workTime == b.workTime
            && a.periodDays == b.periodDays && a.beginTime == b.beginTime && a.raw == b.raw
    }

    func json(withState: Bool) -> JSONValue {
        var o = raw
        if withState, let b = beginTime { o["begin_time"] = .string(b) }
        return .object(o)
    }

    static func parse(_ value: JSONValue, path: String, rotating: Bool, fail: (String, String) -> FTAError) throws -> DutyTime {
        guard case .object(var o) = value else { throw fail(path, "expected an object") }
        let names = WorkType.allCases.map(\.rawValue).joined(separator: ", ")
        guard let wt = o["work_type"]?.stringValue else { throw fail("\(path).work_type", "missing (one of \(names))") }
        guard let workType = WorkType(rawValue: wt) else { throw fail("\(path).work_type", "unknown value '\(wt)' (expected one of \(names))") }
        var days: [Int] = []
        if let d = o["work_days"], !d.isNull {
            guard case .array(let list) = d else { throw fail("\(path).work_days", "expected a list of day numbers") }
            for v in list {
                guard let n = v.intValue else { throw fail("\(path).work_days", "expected day numbers, got \(v.typeName)") }
                days.append(Int(n))
            }
        }
        if workType.isWeekLike, let bad = days.first(where: { !(1...7).contains($0) }) {
            throw fail("\(path).work_days", "\(bad) is not an ISO weekday 1 (Monday) … 7 (Sunday)")
        }
        if workType == .monthly, let bad = days.first(where: { !(1...31).contains($0) }) {
            throw fail("\(path).work_days", "\(bad) is not a day of the month 1 … 31")
        }
        let timeType = o["work_time_type"]?.stringValue ?? "time_range"
        guard timeType == "time_range" || timeType == "datetime_range" else {
            throw fail("\(path).work_time_type", "unknown value '\(timeType)' (expected time_range or datetime_range)")
        }
        if timeType == "datetime_range", !rotating {
            throw fail("\(path).work_time_type", "datetime_range is for handoff rules; a regular rule uses time_range")
        }
        let isDatetime = timeType == "datetime_range"
        if timeType == "datetime_range", !(workType.isWeekLike || workType == .monthly) {
            throw fail("\(path).work_time_type", "datetime_range needs work_type weekly, work_day, weekend or monthly")
        }
        guard case .array(let wtl)? = o["work_time"], !wtl.isEmpty else {
            throw fail("\(path).work_time", "expected a non-empty list of time ranges (\"HH:MM--HH:MM\")")
        }
        var workTime: [String] = []
        var clocks: [(start: Int64, end: Int64)] = []
        var span: (Int, Int64, Int, Int64)?
        for (i, v) in wtl.enumerated() {
            guard let s = v.stringValue else { throw fail("\(path).work_time[\(i)]", "expected a string") }
            let parts = s.components(separatedBy: "--")
            if isDatetime {
                let maxDay = workType == .monthly ? 31 : 7
                guard parts.count == 2, let a = DutyTime.dayClock(parts[0]), let b = DutyTime.dayClock(parts[1]),
                      (1...maxDay).contains(a.day), (1...maxDay).contains(b.day) else {
                    throw fail("\(path).work_time[\(i)]", "'\(s)' is not a range \"DD HH:MM--DD HH:MM\" (DD = \(workType == .monthly ? "day of month 01-31" : "weekday 01-07"))")
                }
                guard i == 0 else { throw fail("\(path).work_time", "a datetime_range has exactly one range") }
                span = (a.day, a.clock, b.day, b.clock)
            } else {
                guard parts.count == 2, let a = WallTime.clock(Substring(parts[0])), let b = WallTime.clock(Substring(parts[1])) else {
                    throw fail("\(path).work_time[\(i)]", "'\(s)' is not a time range \"HH:MM--HH:MM\"")
                }
                clocks.append((a, b))
            }
            workTime.append(s)
        }
        var ranges: [(String, String)] = []
        if workType == .date_range {
            guard case .array(let list)? = o["work_date_range"], !list.isEmpty else {
                throw fail("\(path).work_date_range", "expected a non-empty list of \"YYYY-MM-DD--YYYY-MM-DD\" for work_type date_range")
            }
            for (i, v) in list.enumerated() {
                let parts = (v.stringValue ?? "").components(separatedBy: "--")
                guard parts.count == 2, parts.allSatisfy({ $0.count == 10 && WallTime.parse($0) != nil }), parts[0] <= parts[1] else {
                    throw fail("\(path).work_date_range[\(i)]", "'\(v.stringValue ?? v.typeName)' is not a date range \"YYYY-MM-DD--YYYY-MM-DD\"")
                }
                ranges.append((parts[0], parts[1]))
            }
        }
        var period: Int?
        if let p = o["period_settings"], !p.isNull, p.objectValue?.isEmpty == false {
            guard case .object(let ps) = p else { throw fail("\(path).period_settings", "expected {\"window_unit\": \"day\", \"duration\": N}") }
            if let unit = ps["window_unit"]?.stringValue, unit != "day", unit != "hour" {
                throw fail("\(path).period_settings.window_unit", "unknown value '\(unit)' (expected day or hour)")
            }
            guard let d = ps["duration"]?.intValue, d >= 1 else { throw fail("\(path).period_settings.duration", "expected a whole number of days ≥ 1") }
            if rotating { period = Int(d) }
            if isDatetime { throw fail("\(path).period_settings", "period_settings works with time_range work times, not datetime_range") }
        }
        if rotating, period == nil, !isDatetime, workType.isWeekLike || workType == .monthly, days.isEmpty {
            throw fail("\(path).work_days", "empty: a \(workType.rawValue) rotation needs its days (the first is the handoff day)")
        }
        var begin: String?
        if let b = o["begin_time"], !b.isNull {
            guard let s = b.stringValue, let w = WallTime.parse(s) else { throw fail("\(path).begin_time", "expected YYYY-MM-DD HH:MM:SS") }
            begin = w.text
        }
        o["begin_time"] = nil
        return DutyTime(workType: workType, workDays: days, dateRanges: ranges, isDatetimeRange: isDatetime, workTime: workTime,
                        clocks: clocks, span: span, periodDays: period, beginTime: begin, raw: o)
    }

    /// `DD HH:MM` → (day, seconds of the day).
    static func dayClock(_ s: String) -> (day: Int, clock: Int64)? {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard t.count == 8, let d = Int(t.prefix(2)), t.dropFirst(2).first == " ", let c = WallTime.clock(t.suffix(5)) else { return nil }
        return (d, c)
    }
}
