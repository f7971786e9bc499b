import GRDB

/// One `fta-rota` pass (rota-spec §4): for every duty group, keep one snapshot per rule (the
/// generator's state), re-plan a changed rule from `max(effective_time, now)`, cancel the plans
/// of disabled and removed rules, and write 30-day batches of plans once the next batch starts
/// within 7 days. "Now" is the group's own wall clock (its `timezone`).
///
/// The whole pass is one write transaction: two overlapping passes run one after the other, and
/// the second finds nothing left to do. Fixes to the original's lifecycle are listed in
/// docs/rota.md.
public struct RotaPass {
    public struct Summary: Sendable, Equatable {
        public var groups = 0
        public var snapshotsCreated = 0
        public var rulesChanged = 0
        public var batches = 0
        public var plansWritten = 0
        public var plansCancelled = 0
        public var plansCut = 0
        /// Rule ids groups refer to that are not stored.
        public var missingRules: [String] = []
        public var badZones: [String] = []

        public var json: JSONValue {
            .object(["groups": .int(Int64(groups)), "snapshots_created": .int(Int64(snapshotsCreated)), "rules_changed": .int(Int64(rulesChanged)),
                     "batches": .int(Int64(batches)), "plans_written": .int(Int64(plansWritten)),
                     "plans_cancelled": .int(Int64(plansCancelled)), "plans_cut": .int(Int64(plansCut)),
                     "missing_rules": .array(missingRules.map { .string($0) }), "bad_timezones": .array(badZones.map { .string($0) })])
        }
    }

    /// Days a batch covers, and how close its start must be before it is written.
    public static let batchDays: Int64 = 30
    public static let leadDays: Int64 = 7

    let database: FTADatabase

    public init(database: FTADatabase) { self.database = database }

    struct Snap {
        var id: Int64
        var ruleId: Int64
        var hash: String
        /// The snapshot's rule with its state; nil until a batch needs it (then `text` is parsed).
        var rule: DutyRule?
        var text: String
        var first: String
        var next: String
        var end: String
        var completed: Bool
    }

    public func run(directory: UserDirectory, at instant: Int64) throws -> Summary {
        try database.write { db in
            var summary = Summary()
            var rules = RuleCache(try Row.fetchAll(db, sql: "SELECT id, hash, enabled, rule FROM duty_rule"))
            let dutyGroups = directory.groups.values.filter(\.needDuty).sorted { $0.id < $1.id }
            // Groups that are gone or no longer on duty keep no snapshots and no effective plans.
            let ids = dutyGroups.map(\.id)
            let placeholders = ids.isEmpty ? "''" : Array(repeating: "?", count: ids.count).joined(separator: ",")
            try db.execute(sql: "DELETE FROM duty_rule_snap WHERE user_group_id NOT IN (\(placeholders))", arguments: StatementArguments(ids))
            try db.execute(sql: "UPDATE duty_plan SET is_effective = 0 WHERE is_effective = 1 AND user_group_id NOT IN (\(placeholders))",
                           arguments: StatementArguments(ids))
            summary.plansCancelled += db.changesCount
            // Which rules each group has effective plans of (to cancel those of removed rules).
            var planned: [String: Set<Int64>] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT DISTINCT user_group_id, duty_rule_id FROM duty_plan WHERE is_effective = 1") {
                planned[row[0] as String, default: []].insert(row[1])
            }
            var zones: [String: ZoneClock?] = [:]
            for group in dutyGroups {
                if zones[group.timezone] == nil { zones[group.timezone] = .some(ZoneClock(identifier: group.timezone)) }
                guard let clock = zones[group.timezone] ?? nil else {
                    summary.badZones.append("\(group.id): \(group.timezone)")
                    continue
                }
                summary.groups += 1
                try manage(db, group: group, rules: &rules, planned: planned[group.id] ?? [], now: clock.wall(at: instant), at: instant, summary: &summary)
            }
            return summary
        }
    }

    /// Stored rules by id; a rule's JSON is parsed only when a snapshot is made from it.
    struct RuleCache {
        var rows: [Int64: (hash: String, enabled: Bool, text: String)] = [:]
        var parsed: [Int64: DutyRule] = [:]

        init(_ list: [Row]) {
            for r in list { rows[r[0]] = (r[1], r[2], r[3]) }
        }

        mutating func rule(_ id: Int64) throws -> DutyRule {
            if let r = parsed[id] { return r }
            guard let row = rows[id] else { throw FTAError.environment("duty_rule \(id) is gone") }
            do {
                let r = try DutyRule.parse(try JSONParser.parse(row.text))
                parsed[id] = r
                return r
            } catch {
                throw FTAError.environment("duty_rule \(id): stored rule no longer parses: \(error)")
            }
        }
    }

    func manage(_ db: Database, group: UserGroup, rules: inout RuleCache, planned: Set<Int64>, now: WallTime, at instant: Int64, summary: inout Summary) throws {
        let t = now.text
        var snaps: [Int64: [Snap]] = [:]
        for row in try Row.fetchAll(try db.cachedStatement(sql: """
            SELECT id, duty_rule_id, hash, rule_snap, first_effective_time, next_plan_time, end_time, completed
            FROM duty_rule_snap WHERE user_group_id = ? AND enabled = 1 ORDER BY id
            """), arguments: [group.id]) {
            let rid: Int64 = row[1]
            snaps[rid, default: []].append(Snap(id: row[0], ruleId: rid, hash: row[2], rule: nil, text: row[3], first: row[4], next: row[5], end: row[6], completed: row[7]))
        }
        var listed: [Int64] = []
        for r in group.dutyRules where !listed.contains(r) { listed.append(r) }
        var live = Set<Int64>()
        for rid in listed {
            guard let row = rules.rows[rid] else {
                summary.missingRules.append("\(group.id): \(rid)")
                continue
            }
            guard row.enabled else { continue }
            live.insert(rid)
            let existing = snaps[rid] ?? []
            if existing.isEmpty {
                snaps[rid] = [try create(db, group: group, rule: try rules.rule(rid), hash: row.hash, now: now, at: instant, summary: &summary)]
            } else if !existing.contains(where: { $0.hash == row.hash }) {
                let rule = try rules.rule(rid)
                summary.rulesChanged += 1
                let start = max(rule.effectiveTime, t)
                try db.execute(sql: """
                    UPDATE duty_plan SET is_effective = 0
                    WHERE user_group_id = ? AND duty_rule_id = ? AND is_effective = 1 AND start_time >= ?
                    """, arguments: [group.id, rid, start])
                summary.plansCancelled += db.changesCount
                try db.execute(sql: """
                    UPDATE duty_plan SET finished_time = ?
                    WHERE user_group_id = ? AND duty_rule_id = ? AND is_effective = 1 AND finished_time > ?
                    """, arguments: [start, group.id, rid, start])
                summary.plansCut += db.changesCount
                var kept: [Snap] = []
                for var old in existing {
                    if !old.end.isEmpty, old.end <= start {
                        kept.append(old)
                    } else if old.completed || old.next >= start {
                        try db.execute(sql: "DELETE FROM duty_rule_snap WHERE id = ?", arguments: [old.id])
                    } else {
                        old.end = start
                        try db.execute(sql: "UPDATE duty_rule_snap SET end_time = ? WHERE id = ?", arguments: [start, old.id])
                        kept.append(old)
                    }
                }
                kept.append(try create(db, group: group, rule: rule, hash: row.hash, now: now, at: instant, summary: &summary))
                snaps[rid] = kept
            }
        }
        // Disabled, missing and removed rules: no snapshot, no effective plan.
        let stale = Set(snaps.keys).subtracting(live).union(planned.subtracting(live))
        for rid in stale {
            snaps[rid] = nil
            try db.execute(sql: "DELETE FROM duty_rule_snap WHERE user_group_id = ? AND duty_rule_id = ?", arguments: [group.id, rid])
            try db.execute(sql: "UPDATE duty_plan SET is_effective = 0 WHERE user_group_id = ? AND duty_rule_id = ? AND is_effective = 1",
                           arguments: [group.id, rid])
            summary.plansCancelled += db.changesCount
        }

        // Batches whose start is within the lead time (catching up after downtime).
        let horizon = now.adding(days: RotaPass.leadDays).text
        for rid in listed where live.contains(rid) {
            for var snap in snaps[rid] ?? [] where snap.id == 0 || (!snap.completed && snap.next <= horizon) {
                var guardCount = 0
                if snap.rule == nil {
                    do { snap.rule = try DutyRule.parse(try JSONParser.parse(snap.text)) } catch {
                        throw FTAError.environment("duty_rule_snap \(snap.id): stored snapshot no longer parses: \(error)")
                    }
                }
                while !snap.completed, snap.next <= horizon, guardCount < 1000, let current = snap.rule {
                    guardCount += 1
                    var generator = DutyGenerator(rule: current, begin: snap.next, days: Int(RotaPass.batchDays), snapEnd: snap.end)
                    let shifts = generator.plans()
                    try insert(db, group: group.id, rule: current, shifts: shifts, notBefore: snap.first, snapEnd: snap.end, created: instant, summary: &summary)
                    summary.batches += 1
                    snap.rule = generator.rule
                    snap.next = generator.end.text
                    // A finished snapshot is kept (marked completed) so the next pass does not
                    // take the rule for a new one and plan its remaining days again.
                    if !snap.end.isEmpty, snap.next >= snap.end { snap.completed = true }
                }
                let text = snap.rule?.json(withState: true).jsonText ?? snap.text
                if snap.id == 0 {
                    try db.cachedStatement(sql: """
                        INSERT INTO duty_rule_snap (user_group_id, duty_rule_id, hash, rule_snap, first_effective_time, next_plan_time, end_time, completed)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [group.id, snap.ruleId, snap.hash, text, snap.first, snap.next, snap.end, snap.completed])
                } else {
                    try db.cachedStatement(sql: "UPDATE duty_rule_snap SET rule_snap = ?, next_plan_time = ?, completed = ? WHERE id = ?")
                        .execute(arguments: [text, snap.next, snap.completed, snap.id])
                }
            }
        }
    }

    /// A new snapshot for `rule`. A handoff rule that took effect before now is replayed from its
    /// effective time so the rotation does not depend on when the group was set up; the shifts of
    /// that replay still running now are kept (the original threw them away, leaving nobody on
    /// duty until the next handoff).
    func create(_ db: Database, group: UserGroup, rule: DutyRule, hash: String, now: WallTime, at instant: Int64, summary: inout Summary) throws -> Snap {
        let t = now.text
        var state = rule.withoutState
        let first = max(rule.effectiveTime, t)
        var next = first
        if rule.isHandoff, t > rule.effectiveTime {
            var replay = DutyGenerator(rule: state, end: t)
            replay.emitFrom = now.day - 1
            let shifts = replay.plans()
            state = replay.rule
            next = t
            let running = shifts.filter { s in s.workTimes.contains { $0.exclusiveEnd > now } }
            try insert(db, group: group.id, rule: rule, shifts: running, notBefore: first, snapEnd: rule.endTime, created: instant, summary: &summary)
        }
        summary.snapshotsCreated += 1
        // Stored (id 0 until then) once its first batches are planned, with the state they leave.
        return Snap(id: 0, ruleId: rule.id, hash: hash, rule: state, text: "", first: first, next: next, end: rule.endTime, completed: false)
    }

    /// Plan rows (rota-spec §1.6): start = the first work time, not before the rule's effective
    /// time nor the snapshot's first time; finish = the last work time's minute, not after the
    /// rule's or the snapshot's end.
    func insert(_ db: Database, group: String, rule: DutyRule, shifts: [DutyShift], notBefore: String, snapEnd: String, created: Int64, summary: inout Summary) throws {
        guard !shifts.isEmpty else { return }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO duty_plan (user_group_id, duty_rule_id, "order", user_index, is_effective, start_time, finished_time, users, work_times, create_time)
            VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
            """)
        let ends = [rule.endTime, snapEnd].filter { !$0.isEmpty }
        // Shifts with the same arrangement and index have the same people.
        var usersText: [Int: String] = [:]
        for s in shifts where !s.workTimes.isEmpty {
            var start = s.workTimes.map(\.start).min()!.minuteText + ":00"
            start = max(start, rule.effectiveTime, notBefore)
            var finish = s.workTimes.map(\.end).max()!.minuteText + ":59"
            for e in ends { finish = min(finish, e) }
            guard start < finish else { continue }
            var work = "["
            work.reserveCapacity(s.workTimes.count * 56 + 2)
            for (i, w) in s.workTimes.enumerated() {
                if i > 0 { work += "," }
                work += "{\"end_time\":\"" + w.end.minuteText + "\",\"start_time\":\"" + w.start.minuteText + "\"}"
            }
            work += "]"
            let key = s.order << 32 | s.userIndex
            let users = usersText[key] ?? JSONValue.array(s.users).jsonText
            usersText[key] = users
            try statement.execute(arguments: [group, rule.id, s.order, s.userIndex, start, finish, users, work, created])
            summary.plansWritten += 1
        }
    }
}
