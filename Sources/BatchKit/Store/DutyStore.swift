import GRDB

/// A stored duty plan (`duty_plan`).
public struct StoredDutyPlan: Sendable, Equatable {
    public var id: Int64
    public var groupId: String
    public var ruleId: Int64
    public var order: Int
    public var userIndex: Int
    public var isEffective: Bool
    public var startTime: String
    public var finishedTime: String
    public var users: [JSONValue]
    public var workTimes: [WorkTime]

    public var json: JSONValue {
        .object(["id": .int(id), "user_group_id": .string(groupId), "duty_rule_id": .int(ruleId), "order": .int(Int64(order)),
                 "user_index": .int(Int64(userIndex)), "is_effective": .int(isEffective ? 1 : 0), "start_time": .string(startTime),
                 "finished_time": .string(finishedTime), "users": .array(users), "work_times": .array(workTimes.map(\.json))])
    }

    /// The plan's own bounds as wall-clock times, end exclusive (a `…:59` finish runs to the end
    /// of that second; a finish cut at a handoff is the handoff itself).
    public var bounds: (start: WallTime, end: WallTime) {
        let s = WallTime.parse(startTime) ?? WallTime(seconds: 0)
        let f = WallTime.parse(finishedTime) ?? WallTime.max
        return (s, f.secondOfDay % 60 == 59 ? f.adding(seconds: 1) : f)
    }

    /// Work times clipped to the plan's bounds (a cut plan keeps its work times but ends early).
    public var effectiveWorkTimes: [(start: WallTime, end: WallTime)] {
        let b = bounds
        return workTimes.compactMap { w in
            let s = max(w.start, b.start), e = min(w.exclusiveEnd, b.end)
            return s < e ? (s, e) : nil
        }
    }
}

/// Duty rules, snapshots and plans (`duty_rule`, `duty_rule_snap`, `duty_plan`).
public struct DutyStore: Sendable {
    public let database: FTADatabase

    public init(database: FTADatabase) { self.database = database }

    /// Stores rules (insert or replace by id) in one transaction.
    public func save(rules: [DutyRule], now: Int64) throws {
        try database.write { db in
            for r in rules {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO duty_rule (id, bk_biz_id, name, enabled, category, effective_time, end_time, hash, rule, update_time)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [r.id, r.bkBizId, r.name, r.enabled, r.category, r.effectiveTime, r.endTime, r.hash,
                                     r.withoutState.json(withState: false).jsonText, now])
            }
        }
    }

    public func rules() throws -> [Int64: DutyRule] {
        try database.read { try DutyStore.rules($0) }
    }

    static func rules(_ db: Database) throws -> [Int64: DutyRule] {
        var out: [Int64: DutyRule] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, rule FROM duty_rule") {
            let id: Int64 = row[0]
            do {
                out[id] = try DutyRule.parse(try JSONParser.parse(row[1] as String))
            } catch {
                throw FTAError.environment("duty_rule \(id): stored rule no longer parses: \(error)")
            }
        }
        return out
    }

    public func ruleIds() throws -> Set<Int64> {
        try database.read { db in Set(try Int64.fetchAll(db, sql: "SELECT id FROM duty_rule")) }
    }

    /// Effective plans of a group that may be running between two wall-clock times.
    public func plans(group: String, from: WallTime, to: WallTime, includeCancelled: Bool = false) throws -> [StoredDutyPlan] {
        try database.read { db in try DutyStore.plans(db, group: group, from: from, to: to, includeCancelled: includeCancelled) }
    }

    static func plans(_ db: Database, group: String, from: WallTime, to: WallTime, includeCancelled: Bool = false) throws -> [StoredDutyPlan] {
        try Row.fetchAll(db, sql: """
            SELECT id, user_group_id, duty_rule_id, "order", user_index, is_effective, start_time, finished_time, users, work_times
            FROM duty_plan WHERE user_group_id = ? AND (is_effective = 1 OR ?) AND start_time < ? AND finished_time >= ?
            ORDER BY start_time, "order", id
            """, arguments: [group, includeCancelled, to.text, from.text]).map { row in
            StoredDutyPlan(id: row[0], groupId: row[1], ruleId: row[2], order: row[3], userIndex: row[4], isEffective: row[5],
                           startTime: row[6], finishedTime: row[7],
                           users: (try? JSONParser.parse(row[8] as String).arrayValue) ?? [],
                           workTimes: (try? JSONParser.parse(row[9] as String)).flatMap(WorkTime.list(from:)) ?? [])
        }
    }

    /// Per group and rule: the snapshot's next batch, whether it is complete, effective plans and
    /// the last planned time.
    public struct RuleStatus: Sendable {
        public var group: String
        public var ruleId: Int64
        public var nextPlan: String?
        public var completed: Bool
        public var plans: Int
        public var until: String?
    }

    public func status() throws -> [RuleStatus] {
        try database.read { db in
            var out: [String: RuleStatus] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT user_group_id, duty_rule_id, count(*), max(finished_time) FROM duty_plan WHERE is_effective = 1 GROUP BY 1, 2
                """) {
                let g: String = row[0], r: Int64 = row[1]
                out["\(g)\u{1}\(r)"] = RuleStatus(group: g, ruleId: r, nextPlan: nil, completed: false, plans: row[2], until: row[3])
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT user_group_id, duty_rule_id, max(next_plan_time), min(completed) FROM duty_rule_snap WHERE enabled = 1 GROUP BY 1, 2
                """) {
                let g: String = row[0], r: Int64 = row[1]
                var s = out["\(g)\u{1}\(r)"] ?? RuleStatus(group: g, ruleId: r, nextPlan: nil, completed: false, plans: 0, until: nil)
                s.nextPlan = row[2]
                s.completed = row[3]
                out["\(g)\u{1}\(r)"] = s
            }
            return out.values.sorted { ($0.group, $0.ruleId) < ($1.group, $1.ruleId) }
        }
    }

    /// Who is on duty in each duty group of `directory` at `instant`, as user ids for notices:
    /// `user` entries by id, `group` entries by the members of the fta group of that id.
    public func onDuty(directory: UserDirectory, at instant: Int64) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for (id, group) in directory.groups where group.needDuty {
            guard let clock = ZoneClock(identifier: group.timezone) else { continue }
            let result = try who(group: group, at: instant, clock: clock)
            var ids: [String] = []
            for u in result.users {
                let uid = u["id"]?.scalarText ?? ""
                if u["type"]?.stringValue == "group" {
                    for m in directory.groups[uid]?.users ?? [] where !ids.contains(m) { ids.append(m) }
                } else if !uid.isEmpty, !ids.contains(uid) {
                    ids.append(uid)
                }
            }
            out[id] = ids
        }
        return out
    }

    /// Sets `directory.onDutyUsers` for its duty groups at `instant`. A duty group with nobody on
    /// duty falls back to the users it lists, if any (the original notified nobody). Returns
    /// the duty groups that have nobody to notify.
    @discardableResult
    public func applyDuty(to directory: inout UserDirectory, at instant: Int64) throws -> [String] {
        var empty: [String] = []
        for (id, users) in try onDuty(directory: directory, at: instant) {
            if !users.isEmpty {
                directory.onDutyUsers[id] = users
            } else if directory.groups[id]?.users.isEmpty ?? true {
                directory.onDutyUsers[id] = []
                empty.append(id)
            }
        }
        return empty.sorted()
    }

    /// The users on duty for `group` at an instant, resolved as the original (rota-spec §5):
    /// rules in the group's order, every active plan of a rule unioned, stop at the first rule
    /// with an active plan unless `hit_first_duty` is false.
    public func who(group: UserGroup, at instant: Int64, clock: ZoneClock) throws -> DutyResolution {
        let wall = clock.wall(at: instant)
        let plans = try plans(group: group.id, from: wall.adding(days: -1), to: wall.adding(days: 1))
        return DutyResolution.resolve(group: group, plans: plans, at: instant, clock: clock)
    }
}

/// The outcome of ``DutyStore/who``.
public struct DutyResolution: Sendable {
    public var users: [JSONValue]
    /// The active plans, by rule, in the order they were considered.
    public var active: [(ruleId: Int64, plans: [StoredDutyPlan])]
    /// When the earliest of the active work times ends (an instant), nil when nobody is on duty.
    public var until: Int64?

    public static func resolve(group: UserGroup, plans: [StoredDutyPlan], at instant: Int64, clock: ZoneClock) -> DutyResolution {
        var byRule: [Int64: [StoredDutyPlan]] = [:]
        for p in plans { byRule[p.ruleId, default: []].append(p) }
        var users: [JSONValue] = []
        var seen = Set<String>()
        var active: [(Int64, [StoredDutyPlan])] = []
        var until: Int64?
        var order: [Int64] = []
        for r in group.dutyRules where !order.contains(r) { order.append(r) }
        for ruleId in order {
            let running = (byRule[ruleId] ?? []).sorted { ($0.order, $0.id) < ($1.order, $1.id) }.filter { p in
                p.effectiveWorkTimes.contains { w in
                    let s = clock.instant(of: w.start), e = clock.instant(of: w.end)
                    if s <= instant, instant < e { until = min(until ?? e, e); return true }
                    return false
                }
            }
            guard !running.isEmpty else { continue }
            for p in running {
                for u in p.users {
                    let key = (u["type"]?.stringValue ?? "user") + "\u{1}" + (u["id"]?.scalarText ?? "")
                    if seen.insert(key).inserted { users.append(u) }
                }
            }
            active.append((ruleId, running))
            if group.hitFirstDuty { break }
        }
        // Until: the end of the running work time, carried on through work times of the same
        // plans that start right where it ends (a week of daily entries is one stretch).
        if var end = until {
            let spans = active.flatMap { $0.1 }.flatMap(\.effectiveWorkTimes).map { (clock.instant(of: $0.start), clock.instant(of: $0.end)) }
            var moved = true
            while moved {
                moved = false
                for (s, e) in spans where s <= end && e > end {
                    end = e
                    moved = true
                }
            }
            until = end
        }
        return DutyResolution(users: users, active: active, until: until)
    }
}
