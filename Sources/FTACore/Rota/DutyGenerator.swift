import Foundation

/// One shift: who is on duty (`users`, the objects of the rule), which arrangement it comes from
/// (`order`), the rotation index it used (`user_index`) and its work times.
package struct DutyShift: Sendable, Equatable {
    package var users: [JSONValue]
    package var order: Int
    package var userIndex: Int
    package var workTimes: [WorkTime]

    package var json: JSONValue {
        .object(["users": .array(users), "order": .int(Int64(order)), "user_index": .int(Int64(userIndex)),
                 "work_times": .array(workTimes.map(\.json))])
    }
}

/// A work time as the original writes it: start and end to the minute (`YYYY-MM-DD HH:MM`).
/// The end minute is inclusive in the original (`end + ":59"`); see ``exclusiveEnd``.
package struct WorkTime: Sendable, Equatable {
    package var start: WallTime
    package var end: WallTime

    package init(start: WallTime, end: WallTime) {
        self.start = start
        self.end = end
    }

    package var json: JSONValue { .object(["start_time": .string(start.minuteText), "end_time": .string(end.minuteText)]) }

    /// Where the shift really ends. An end on minute 59 (`23:59`, the original's "to the end of
    /// the day") runs to the end of that minute; any other end is the handoff time itself, so
    /// `00:00--10:00` and `10:00--23:59` meet at 10:00 instead of sharing the minute 10:00.
    package var exclusiveEnd: WallTime { end.secondOfDay % 3600 / 60 == 59 ? end.adding(seconds: 60) : end }

    /// Work times as the original's JSON (`[{"start_time", "end_time"}]`); nil when malformed.
    package static func list(from value: JSONValue) -> [WorkTime]? {
        guard let items = value.arrayValue else { return nil }
        var out: [WorkTime] = []
        for i in items {
            guard let s = i["start_time"]?.stringValue.flatMap(WallTime.parse), let e = i["end_time"]?.stringValue.flatMap(WallTime.parse) else { return nil }
            out.append(WorkTime(start: s, end: e))
        }
        return out
    }
}

/// The original's plan generator (original-system.md §8.3), with its documented defects fixed
/// (docs/rota.md lists each): plans for one window of one rule, and the rotation state
/// (`begin_time` per duty time, `last_user_index` per arrangement) advanced in ``rule``.
package struct DutyGenerator: Sendable {
    package private(set) var rule: DutyRule
    /// First day of the window (its time of day is carried into the saved state, as in the original).
    package let begin: WallTime
    /// Exclusive end of the window.
    package let end: WallTime
    /// Last day (days since 1970) the rule or its snapshot allows, inclusive.
    let endDay: Int64
    /// Shifts that end before this day are not built (their rotation still advances): for a
    /// replay that only needs the state and the shifts still running.
    package var emitFrom: Int64?
    /// Longest a rotation window is stretched to finish its running period.
    static let maxExtensionDays: Int64 = 3660

    /// `begin` defaults to the rule's effective time and is never earlier than it; the window
    /// ends at `end` or `begin + days` (30 by default). `snapEnd` is a snapshot's own end.
    package init(rule: DutyRule, begin: String? = nil, days: Int = 0, end: String? = nil, snapEnd: String? = nil) {
        self.rule = rule
        let b = max(begin ?? "", rule.effectiveTime)
        self.begin = WallTime.parse(b) ?? WallTime.parse(rule.effectiveTime)!
        if let end, let e = WallTime.parse(end) {
            self.end = e
        } else {
            self.end = self.begin.adding(days: Int64(days > 0 ? days : 30))
        }
        var cap = WallTime.max
        if let e = WallTime.parse(rule.endTime) { cap = min(cap, e) }
        if let s = snapEnd, let e = WallTime.parse(s) { cap = min(cap, e) }
        endDay = cap.secondOfDay == 0 ? cap.day - 1 : cap.day
    }

    /// The original's preview (original-system.md §8.7): a handoff rule is first replayed from its effective
    /// time to `begin` (plans dropped, state kept) unless `align` is off or the rule already
    /// carries state (it continues an earlier window); then the window's plans. Returns the plans
    /// and the rule with the state after them.
    package static func preview(_ rule: DutyRule, begin: String?, days: Int, end: String?, align: Bool) -> ([DutyShift], DutyRule) {
        var start = rule
        let hasState = rule.arranges.contains { $0.lastUserIndex != nil || $0.times.contains { $0.beginTime != nil } }
        if align, !hasState, rule.isHandoff, let b = begin, b > rule.effectiveTime {
            var replay = DutyGenerator(rule: rule, end: b)
            replay.emitFrom = Int64.max
            _ = replay.plans()
            start = replay.rule
        }
        var generator = DutyGenerator(rule: start, begin: begin, days: days, end: end)
        let plans = generator.plans()
        return (plans, generator.rule)
    }

    /// The shifts of the window in the original's generation order; nothing for a disabled rule.
    package mutating func plans() -> [DutyShift] {
        guard rule.enabled else { return [] }
        var out: [DutyShift] = []
        for k in rule.arranges.indices {
            if rule.isRegular { regular(k, into: &out) } else { rotation(k, into: &out) }
        }
        return out
    }

    // MARK: - Days

    /// The days a duty time has (for `datetime_range`, from its range).
    static func workDays(_ t: DutyTime) -> [Int] {
        guard t.isDatetimeRange, let span = t.span else { return t.workDays }
        let (s, e) = (span.startDay, span.endDay)
        let maxDay = t.workType.isWeekLike ? 7 : 31
        return s < e ? Array(s...e) : Array(s...maxDay) + (e >= 1 ? Array(1...e) : [])
    }

    /// The day walk (original-system.md §8.3): the covered days of duty time `t` of arrangement `a`,
    /// in periods for a rotation (`rotating`) or as one list, and its `begin_time` advanced.
    mutating func dutyDays(_ a: Int, _ ti: Int, rotating: Bool, periodInterval: Int) -> [[Int64]] {
        let t = rule.arranges[a].times[ti]
        let days = DutyGenerator.workDays(t)
        let handoff = days.first
        let daySet = Set(days)
        let stored = t.beginTime.flatMap(WallTime.parse)
        let start = stored ?? begin
        var d = start
        var last = end.adding(days: -1)
        let windowLast = last.day
        // A rotation without any handoff boundary (a date range, or no days) would stretch to
        // the rule's end; with no end the original walks to year 9999. Here it ends with the window.
        let hasBoundary = t.workType == .daily || (handoff != nil && t.workType != .date_range)
        let mayStretch = periodInterval > 0 || !rotating || hasBoundary || endDay != WallTime.max.day
        var periods: [[Int64]] = []
        var current: [Int64] = []
        while d.day <= min(last.day, endDay) {
            let next = d.adding(days: 1)
            var newPeriod = true
            if rotating {
                switch t.workType {
                case .daily: newPeriod = true
                case .weekly, .work_day, .weekend: newPeriod = next.weekday == handoff
                case .monthly: newPeriod = next.dayOfMonth == handoff
                case .date_range: newPeriod = false
                }
            }
            let valid: Bool
            switch t.workType {
            case .daily: valid = true
            case .weekly, .work_day, .weekend: valid = daySet.contains(d.weekday)
            case .monthly: valid = daySet.contains(d.dayOfMonth)
            case .date_range:
                let text = d.dateText
                valid = t.dateRanges.contains { $0.from <= text && text <= $0.to }
            }
            if valid { current.append(d.day) }
            if periodInterval > 0, current.count % periodInterval != 0 { newPeriod = false }
            if rotating, newPeriod, !current.isEmpty {
                periods.append(current)
                current = []
            }
            if !newPeriod, last < next, mayStretch, next.day - windowLast <= DutyGenerator.maxExtensionDays { last = next }
            d = next
        }
        if rotating, !current.isEmpty { periods.append(current) }
        // The state never moves backwards: a duty time already planned past this window (a very
        // long shift) keeps its place instead of re-planning days it covered.
        var nextBegin = last.adding(days: 1)
        if let stored, stored > nextBegin { nextBegin = stored }
        rule.arranges[a].times[ti].beginTime = nextBegin.text
        return rotating ? periods : [current]
    }

    // MARK: - Work times

    /// `HH:MM--HH:MM` ranges of one day; an end not after the start is on the next day.
    static func timeRanges(day: Int64, _ clocks: [(start: Int64, end: Int64)], into out: inout [WorkTime]) {
        for (s, e) in clocks {
            out.append(WorkTime(start: WallTime(day: day, secondOfDay: s), end: WallTime(day: s < e ? day : day + 1, secondOfDay: e)))
        }
    }

    /// A day of a `DD HH:MM--DD HH:MM` range: the first day starts at its clock time, the last
    /// ends at its clock time (on the next day when the range starts and ends on the same day
    /// number, i.e. wraps a whole week or month), the days between are whole days.
    static func datetimeRange(day: Int64, _ span: (startDay: Int, startClock: Int64, endDay: Int, endClock: Int64), weekLike: Bool) -> WorkTime {
        let date = WallTime(day: day)
        let current = weekLike ? date.weekday : date.dayOfMonth
        var endDay = span.endDay
        let cross = span.startDay == span.endDay
        if cross { endDay -= 1 }
        // The original meant "the day before day 1 is the last day of the week or month" here but
        // a typo made every day a last day (overlapping work times); this does what it meant.
        if endDay == 0 { endDay = weekLike ? 7 : date.daysInItsMonth }
        var startClock: Int64 = 0
        var endClock: Int64 = 23 * 3600 + 59 * 60
        if current == span.startDay { startClock = span.startClock }
        var isLast = false
        if current == endDay {
            endClock = span.endClock
            isLast = true
        }
        let endDate = cross && isLast ? day + 1 : day
        return WorkTime(start: WallTime(day: day, secondOfDay: startClock), end: WallTime(day: endDate, secondOfDay: endClock))
    }

    // MARK: - Plans

    mutating func regular(_ k: Int, into out: inout [DutyShift]) {
        var times: [WorkTime] = []
        for ti in rule.arranges[k].times.indices {
            let clocks = rule.arranges[k].times[ti].clocks
            for day in dutyDays(k, ti, rotating: false, periodInterval: 0)[0] {
                DutyGenerator.timeRanges(day: day, clocks, into: &times)
            }
        }
        guard !times.isEmpty else { return }
        out.append(DutyShift(users: rule.arranges[k].dutyUsers.first ?? [], order: k, userIndex: k, workTimes: times))
    }

    /// The next shift's users and the index after it (original-system.md §8.3). A stale index (past the
    /// end of the list) starts again at 0 instead of putting every group on duty at once.
    static func shiftUsers(_ a: DutyArrange, _ index: Int) -> (users: [JSONValue], next: Int) {
        if a.isAuto {
            let people = a.dutyUsers.first ?? []
            let n = a.groupNumber
            if people.count < n || people.isEmpty { return (people, 0) }
            let i = index < people.count ? index : 0
            var users = Array(people[i..<min(i + n, people.count)])
            var next = i + n
            if next >= people.count {
                next = n - users.count
                users.append(contentsOf: people[0..<next])
            }
            return (users, next)
        }
        let groups = a.dutyUsers
        if groups.isEmpty { return ([], 0) }
        let i = index < groups.count ? index : 0
        let next = i + 1 >= groups.count ? 0 : i + 1
        return (groups[i], next)
    }

    /// The index after `index`, as ``shiftUsers`` moves it, without building the user list.
    static func nextIndex(_ a: DutyArrange, _ index: Int) -> Int {
        if a.isAuto {
            let count = a.dutyUsers.first?.count ?? 0
            let n = a.groupNumber
            if count < n || count == 0 { return 0 }
            let i = index < count ? index : 0
            return i + n >= count ? i + n - count : i + n
        }
        let count = a.dutyUsers.count
        if count == 0 { return 0 }
        let i = index < count ? index : 0
        return i + 1 >= count ? 0 : i + 1
    }

    /// One shift's days, and the duty time they take their work times from (-1: period
    /// settings, plain time ranges of the first duty time).
    private struct Unit {
        var days: ArraySlice<Int64>
        var time: Int
    }

    mutating func rotation(_ k: Int, into out: inout [DutyShift]) {
        var index = rule.arranges[k].lastUserIndex ?? 0
        var units: [Unit] = []
        let times = rule.arranges[k].times
        if let p = times.first?.periodDays {
            let days = dutyDays(k, 0, rotating: false, periodInterval: p)[0]
            var i = 0
            while i < days.count {
                units.append(Unit(days: days[i..<min(i + p, days.count)], time: -1))
                i += p
            }
        } else {
            var columns: [[[Int64]]] = []
            for ti in times.indices { columns.append(dutyDays(k, ti, rotating: true, periodInterval: 0)) }
            // Period n of every duty time, in duty-time order, then period n+1. The original
            // stops a round at the first duty time that has no period n, losing the later ones'
            // periods for good; they are kept here.
            let width = columns.map(\.count).max() ?? 0
            units.reserveCapacity(columns.reduce(0) { $0 + $1.count })
            for c in 0..<width {
                for (ti, row) in columns.enumerated() where c < row.count { units.append(Unit(days: row[c][...], time: ti)) }
            }
        }
        let arrange = rule.arranges[k]
        for unit in units {
            if let from = emitFrom, let lastDay = unit.days.last, lastDay < from {
                // A replay only needs the rotation index of shifts that are long over.
                index = DutyGenerator.nextIndex(arrange, index)
                continue
            }
            let (users, next) = DutyGenerator.shiftUsers(arrange, index)
            // With period settings every day takes the work times as plain time ranges.
            let t = times[max(unit.time, 0)]
            var work: [WorkTime] = []
            work.reserveCapacity(unit.days.count * max(1, t.clocks.count))
            for day in unit.days {
                if t.isDatetimeRange, unit.time >= 0, let span = t.span {
                    work.append(DutyGenerator.datetimeRange(day: day, span, weekLike: t.workType.isWeekLike))
                } else {
                    DutyGenerator.timeRanges(day: day, t.clocks, into: &work)
                }
            }
            out.append(DutyShift(users: users, order: k, userIndex: index, workTimes: work))
            index = next
        }
        rule.arranges[k].lastUserIndex = index
    }
}
