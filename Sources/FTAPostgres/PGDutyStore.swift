import FTACore

/// Duty rules, snapshots and plans on PostgreSQL. A rota pass is one transaction that first
/// takes an advisory lock: passes on two hosts run one after the other, and the second finds
/// nothing left to do, as with SQLite's single writer.
extension PostgresStore {

    package func saveDutyRules(_ rules: [DutyRule], now: Int64) throws {
        try write {
            for r in rules {
                try db.execute("""
                    INSERT INTO duty_rule (id, bk_biz_id, name, enabled, category, effective_time, end_time, hash, rule, update_time)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                    ON CONFLICT (id) DO UPDATE SET bk_biz_id = excluded.bk_biz_id, name = excluded.name, enabled = excluded.enabled,
                        category = excluded.category, effective_time = excluded.effective_time, end_time = excluded.end_time,
                        hash = excluded.hash, rule = excluded.rule, update_time = excluded.update_time
                    """, [r.id, r.bkBizId, r.name, r.enabled, r.category, r.effectiveTime, r.endTime, r.hash,
                          r.withoutState.json(withState: false).jsonText, now])
            }
        }
    }

    package func dutyRules() throws -> [Int64: DutyRule] {
        try read {
            var out: [Int64: DutyRule] = [:]
            for row in try db.execute("SELECT id, rule FROM duty_rule").rows {
                let id = row[0].flatMap { Int64($0) } ?? 0
                do {
                    out[id] = try DutyRule.parse(try JSONParser.parse(row[1] ?? "{}"))
                } catch {
                    throw FTAError.environment("duty_rule \(id): stored rule no longer parses: \(error)")
                }
            }
            return out
        }
    }

    package func dutyRuleIds() throws -> Set<Int64> {
        try read { Set(try db.execute("SELECT id FROM duty_rule").rows.compactMap { $0[0].flatMap { Int64($0) } }) }
    }

    package func dutyPlans(group: String, from: WallTime, to: WallTime, includeCancelled: Bool) throws -> [DutyPlan] {
        try read {
            try db.execute("""
                SELECT id, user_group_id, duty_rule_id, "order", user_index, is_effective, start_time, finished_time, users, work_times
                FROM duty_plan WHERE user_group_id = $1 AND (is_effective OR $2) AND start_time < $3 AND finished_time >= $4
                ORDER BY start_time, "order", id
                """, [group, includeCancelled, to.text, from.text]).rows.map { row in
                DutyPlan(id: row[0].flatMap { Int64($0) } ?? 0, groupId: row[1] ?? "", ruleId: row[2].flatMap { Int64($0) } ?? 0,
                         order: row[3].flatMap { Int($0) } ?? 0, userIndex: row[4].flatMap { Int($0) } ?? 0, isEffective: row[5] == "t",
                         startTime: row[6] ?? "", finishedTime: row[7] ?? "",
                         users: (try? JSONParser.parse(row[8] ?? "[]").arrayValue) ?? [],
                         workTimes: (try? JSONParser.parse(row[9] ?? "[]")).flatMap(WorkTime.list(from:)) ?? [])
            }
        }
    }

    package func dutyStatus() throws -> [DutyRuleStatus] {
        try read {
            var out: [String: DutyRuleStatus] = [:]
            for row in try db.execute("""
                SELECT user_group_id, duty_rule_id, count(*), max(finished_time) FROM duty_plan WHERE is_effective GROUP BY 1, 2
                """).rows {
                let g = row[0] ?? "", r = row[1].flatMap { Int64($0) } ?? 0
                out["\(g)\u{1}\(r)"] = DutyRuleStatus(group: g, ruleId: r, nextPlan: nil, completed: false, plans: row[2].flatMap { Int($0) } ?? 0, until: row[3])
            }
            for row in try db.execute("""
                SELECT user_group_id, duty_rule_id, max(next_plan_time), bool_and(completed) FROM duty_rule_snap WHERE enabled GROUP BY 1, 2
                """).rows {
                let g = row[0] ?? "", r = row[1].flatMap { Int64($0) } ?? 0
                var s = out["\(g)\u{1}\(r)"] ?? DutyRuleStatus(group: g, ruleId: r, nextPlan: nil, completed: false, plans: 0, until: nil)
                s.nextPlan = row[2]
                s.completed = row[3] == "t"
                out["\(g)\u{1}\(r)"] = s
            }
            return out.values.sorted { ($0.group, $0.ruleId) < ($1.group, $1.ruleId) }
        }
    }

    package func planDuty<T>(_ body: (any DutyPlanningSession) throws -> T) throws -> T {
        try write {
            try db.execute(PostgresStore.lockSQL, ["fta-rota"])
            return try body(PGDutyPlanning(db: db))
        }
    }
}

/// The reads and writes of one `fta-rota` pass on PostgreSQL, inside its transaction.
struct PGDutyPlanning: DutyPlanningSession {
    let db: PGConnection

    func ruleRows() throws -> [Int64: (hash: String, enabled: Bool, text: String)] {
        var rows: [Int64: (String, Bool, String)] = [:]
        for r in try db.execute("SELECT id, hash, enabled, rule FROM duty_rule").rows {
            rows[r[0].flatMap { Int64($0) } ?? 0] = (r[1] ?? "", r[2] == "t", r[3] ?? "{}")
        }
        return rows
    }

    func dropGroups(except ids: [String]) throws -> Int {
        try db.execute("DELETE FROM duty_rule_snap WHERE NOT (user_group_id = ANY($1::text[]))", [PGArray(ids)])
        return try db.execute("UPDATE duty_plan SET is_effective = false WHERE is_effective AND NOT (user_group_id = ANY($1::text[]))", [PGArray(ids)]).affected
    }

    func plannedRules() throws -> [String: Set<Int64>] {
        var planned: [String: Set<Int64>] = [:]
        for row in try db.execute("SELECT DISTINCT user_group_id, duty_rule_id FROM duty_plan WHERE is_effective").rows {
            planned[row[0] ?? "", default: []].insert(row[1].flatMap { Int64($0) } ?? 0)
        }
        return planned
    }

    func snapshots(group: String) throws -> [Int64: [DutySnapshot]] {
        var snaps: [Int64: [DutySnapshot]] = [:]
        for row in try db.execute("""
            SELECT id, duty_rule_id, hash, rule_snap, first_effective_time, next_plan_time, end_time, completed
            FROM duty_rule_snap WHERE user_group_id = $1 AND enabled ORDER BY id
            """, [group]).rows {
            let rid = row[1].flatMap { Int64($0) } ?? 0
            snaps[rid, default: []].append(DutySnapshot(id: row[0].flatMap { Int64($0) } ?? 0, ruleId: rid, hash: row[2] ?? "", rule: nil,
                                                        text: row[3] ?? "{}", first: row[4] ?? "", next: row[5] ?? "", end: row[6] ?? "",
                                                        completed: row[7] == "t"))
        }
        return snaps
    }

    func cancelAndCut(group: String, rule: Int64, at start: String) throws -> (Int, Int) {
        let cancelled = try db.execute("""
            UPDATE duty_plan SET is_effective = false WHERE user_group_id = $1 AND duty_rule_id = $2 AND is_effective AND start_time >= $3
            """, [group, rule, start]).affected
        let cut = try db.execute("""
            UPDATE duty_plan SET finished_time = $1 WHERE user_group_id = $2 AND duty_rule_id = $3 AND is_effective AND finished_time > $1
            """, [start, group, rule]).affected
        return (cancelled, cut)
    }

    func deleteSnapshot(id: Int64) throws {
        try db.execute("DELETE FROM duty_rule_snap WHERE id = $1", [id])
    }

    func endSnapshot(id: Int64, at end: String) throws {
        try db.execute("UPDATE duty_rule_snap SET end_time = $1 WHERE id = $2", [end, id])
    }

    func dropRule(group: String, rule: Int64) throws -> Int {
        try db.execute("DELETE FROM duty_rule_snap WHERE user_group_id = $1 AND duty_rule_id = $2", [group, rule])
        return try db.execute("UPDATE duty_plan SET is_effective = false WHERE user_group_id = $1 AND duty_rule_id = $2 AND is_effective",
                              [group, rule]).affected
    }

    func saveSnapshot(_ snap: DutySnapshot, group: String) throws {
        if snap.id == 0 {
            try db.execute("""
                INSERT INTO duty_rule_snap (user_group_id, duty_rule_id, hash, rule_snap, first_effective_time, next_plan_time, end_time, completed)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [group, snap.ruleId, snap.hash, snap.storedText, snap.first, snap.next, snap.end, snap.completed])
        } else {
            try db.execute("UPDATE duty_rule_snap SET rule_snap = $1, next_plan_time = $2, completed = $3 WHERE id = $4",
                           [snap.storedText, snap.next, snap.completed, snap.id])
        }
    }

    func insertPlans(_ rows: [DutyPlanRow], group: String, rule: Int64, created: Int64) throws -> Int {
        guard !rows.isEmpty else { return 0 }
        try db.execute("""
            INSERT INTO duty_plan (user_group_id, duty_rule_id, "order", user_index, is_effective, start_time, finished_time, users, work_times, create_time)
            SELECT $1, $2, t.o, t.u, true, t.s, t.f, t.users, t.w, $3
            FROM unnest($4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[]) AS t(o, u, s, f, users, w)
            """, [group, rule, created, PGArray(rows.map(\.order)), PGArray(rows.map(\.userIndex)), PGArray(rows.map(\.startTime)),
                  PGArray(rows.map(\.finishedTime)), PGArray(rows.map(\.users)), PGArray(rows.map(\.workTimes))])
        return rows.count
    }
}
