import FTACore
import GRDB

/// The reads and writes of one `fta-rota` pass, inside its write transaction.
struct SQLiteDutyPlanning: DutyPlanningSession {
    let db: Database

    /// Stored rules by id: hash, enabled and the JSON (parsed only when a snapshot is made).
    func ruleRows() throws -> [Int64: (hash: String, enabled: Bool, text: String)] {
        var rows: [Int64: (String, Bool, String)] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT id, hash, enabled, rule FROM duty_rule") { rows[r[0]] = (r[1], r[2], r[3]) }
        return rows
    }

    /// Drops snapshots and cancels plans of groups not in `ids`; returns plans cancelled.
    func dropGroups(except ids: [String]) throws -> Int {
        let placeholders = ids.isEmpty ? "''" : Array(repeating: "?", count: ids.count).joined(separator: ",")
        try db.execute(sql: "DELETE FROM duty_rule_snap WHERE user_group_id NOT IN (\(placeholders))", arguments: StatementArguments(ids))
        try db.execute(sql: "UPDATE duty_plan SET is_effective = 0 WHERE is_effective = 1 AND user_group_id NOT IN (\(placeholders))",
                       arguments: StatementArguments(ids))
        return db.changesCount
    }

    /// The rules each group has effective plans of.
    func plannedRules() throws -> [String: Set<Int64>] {
        var planned: [String: Set<Int64>] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT DISTINCT user_group_id, duty_rule_id FROM duty_plan WHERE is_effective = 1") {
            planned[row[0] as String, default: []].insert(row[1])
        }
        return planned
    }

    func snapshots(group: String) throws -> [Int64: [DutySnapshot]] {
        var snaps: [Int64: [DutySnapshot]] = [:]
        for row in try Row.fetchAll(try db.cachedStatement(sql: """
            SELECT id, duty_rule_id, hash, rule_snap, first_effective_time, next_plan_time, end_time, completed
            FROM duty_rule_snap WHERE user_group_id = ? AND enabled = 1 ORDER BY id
            """), arguments: [group]) {
            let rid: Int64 = row[1]
            snaps[rid, default: []].append(DutySnapshot(id: row[0], ruleId: rid, hash: row[2], rule: nil, text: row[3], first: row[4],
                                                        next: row[5], end: row[6], completed: row[7]))
        }
        return snaps
    }

    /// Cancels the plans of a rule starting at or after `start`, and cuts those still running
    /// after it to end there; returns (cancelled, cut).
    func cancelAndCut(group: String, rule: Int64, at start: String) throws -> (Int, Int) {
        try db.execute(sql: """
            UPDATE duty_plan SET is_effective = 0
            WHERE user_group_id = ? AND duty_rule_id = ? AND is_effective = 1 AND start_time >= ?
            """, arguments: [group, rule, start])
        let cancelled = db.changesCount
        try db.execute(sql: """
            UPDATE duty_plan SET finished_time = ?
            WHERE user_group_id = ? AND duty_rule_id = ? AND is_effective = 1 AND finished_time > ?
            """, arguments: [start, group, rule, start])
        return (cancelled, db.changesCount)
    }

    func deleteSnapshot(id: Int64) throws {
        try db.execute(sql: "DELETE FROM duty_rule_snap WHERE id = ?", arguments: [id])
    }

    func endSnapshot(id: Int64, at end: String) throws {
        try db.execute(sql: "UPDATE duty_rule_snap SET end_time = ? WHERE id = ?", arguments: [end, id])
    }

    /// No snapshot and no effective plan of `rule` for `group`; returns plans cancelled.
    func dropRule(group: String, rule: Int64) throws -> Int {
        try db.execute(sql: "DELETE FROM duty_rule_snap WHERE user_group_id = ? AND duty_rule_id = ?", arguments: [group, rule])
        try db.execute(sql: "UPDATE duty_plan SET is_effective = 0 WHERE user_group_id = ? AND duty_rule_id = ? AND is_effective = 1",
                       arguments: [group, rule])
        return db.changesCount
    }

    /// Inserts a new snapshot (id 0) or updates a stored one's state.
    func saveSnapshot(_ snap: DutySnapshot, group: String) throws {
        let text = snap.storedText
        if snap.id == 0 {
            try db.cachedStatement(sql: """
                INSERT INTO duty_rule_snap (user_group_id, duty_rule_id, hash, rule_snap, first_effective_time, next_plan_time, end_time, completed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [group, snap.ruleId, snap.hash, text, snap.first, snap.next, snap.end, snap.completed])
        } else {
            try db.cachedStatement(sql: "UPDATE duty_rule_snap SET rule_snap = ?, next_plan_time = ?, completed = ? WHERE id = ?")
                .execute(arguments: [text, snap.next, snap.completed, snap.id])
        }
    }

    func insertPlans(_ rows: [DutyPlanRow], group: String, rule: Int64, created: Int64) throws -> Int {
        guard !rows.isEmpty else { return 0 }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO duty_plan (user_group_id, duty_rule_id, "order", user_index, is_effective, start_time, finished_time, users, work_times, create_time)
            VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
            """)
        for r in rows {
            try statement.execute(arguments: [group, rule, r.order, r.userIndex, r.startTime, r.finishedTime, r.users, r.workTimes, created])
        }
        return rows.count
    }
}
