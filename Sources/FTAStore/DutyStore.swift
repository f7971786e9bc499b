import FTACore
import GRDB

/// Duty rules, snapshots and plans (`duty_rule`, `duty_rule_snap`, `duty_plan`).
extension SQLiteStore {

    /// Stores rules (insert or replace by id) in one transaction.
    package func saveDutyRules(_ rules: [DutyRule], now: Int64) throws {
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

    package func dutyRules() throws -> [Int64: DutyRule] {
        try database.read { try SQLiteStore.dutyRules($0) }
    }

    static func dutyRules(_ db: Database) throws -> [Int64: DutyRule] {
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

    package func dutyRuleIds() throws -> Set<Int64> {
        try database.read { db in Set(try Int64.fetchAll(db, sql: "SELECT id FROM duty_rule")) }
    }

    /// Effective plans of a group that may be running between two wall-clock times.
    package func dutyPlans(group: String, from: WallTime, to: WallTime, includeCancelled: Bool) throws -> [DutyPlan] {
        try database.read { db in try SQLiteStore.dutyPlans(db, group: group, from: from, to: to, includeCancelled: includeCancelled) }
    }

    static func dutyPlans(_ db: Database, group: String, from: WallTime, to: WallTime, includeCancelled: Bool = false) throws -> [DutyPlan] {
        try Row.fetchAll(db, sql: """
            SELECT id, user_group_id, duty_rule_id, "order", user_index, is_effective, start_time, finished_time, users, work_times
            FROM duty_plan WHERE user_group_id = ? AND (is_effective = 1 OR ?) AND start_time < ? AND finished_time >= ?
            ORDER BY start_time, "order", id
            """, arguments: [group, includeCancelled, to.text, from.text]).map { row in
            DutyPlan(id: row[0], groupId: row[1], ruleId: row[2], order: row[3], userIndex: row[4], isEffective: row[5],
                           startTime: row[6], finishedTime: row[7],
                           users: (try? JSONParser.parse(row[8] as String).arrayValue) ?? [],
                           workTimes: (try? JSONParser.parse(row[9] as String)).flatMap(WorkTime.list(from:)) ?? [])
        }
    }

    package func dutyStatus() throws -> [DutyRuleStatus] {
        try database.read { db in
            var out: [String: DutyRuleStatus] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT user_group_id, duty_rule_id, count(*), max(finished_time) FROM duty_plan WHERE is_effective = 1 GROUP BY 1, 2
                """) {
                let g: String = row[0], r: Int64 = row[1]
                out["\(g)\u{1}\(r)"] = DutyRuleStatus(group: g, ruleId: r, nextPlan: nil, completed: false, plans: row[2], until: row[3])
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT user_group_id, duty_rule_id, max(next_plan_time), min(completed) FROM duty_rule_snap WHERE enabled = 1 GROUP BY 1, 2
                """) {
                let g: String = row[0], r: Int64 = row[1]
                var s = out["\(g)\u{1}\(r)"] ?? DutyRuleStatus(group: g, ruleId: r, nextPlan: nil, completed: false, plans: 0, until: nil)
                s.nextPlan = row[2]
                s.completed = row[3]
                out["\(g)\u{1}\(r)"] = s
            }
            return out.values.sorted { ($0.group, $0.ruleId) < ($1.group, $1.ruleId) }
        }
    }

    package func planDuty<T>(_ body: (any DutyPlanningSession) throws -> T) throws -> T {
        try database.write { db in try body(SQLiteDutyPlanning(db: db)) }
    }
}
