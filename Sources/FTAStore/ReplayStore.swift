import FTACore
import GRDB

/// Notices the circuit breaker held, for `fta-replay`: selection, a short claim so two replays
/// cannot send the same row, and marking.
extension SQLiteStore {
    /// Held rows with saved sends, from the held-row index (StoreTests checks the plan).
    static let heldSQL = """
        SELECT id, create_time, strategy_id, bk_biz_id, parent_action_id, signal, status, ex_data, strategy, action_plugin
        FROM \(Schema.fullView)
        WHERE failure_type = 'blocked' AND status IN ('blocked', 'failure') AND json_extract(ex_data, '$.retry_params[0]') IS NOT NULL
        """

    /// Held notices with saved sends that have not been replayed successfully, oldest first.
    package func heldNotices(_ f: HeldFilter) throws -> [HeldNotice] {
        var sql = SQLiteStore.heldSQL
        var args: [DatabaseValueConvertible?] = []
        func list<T: DatabaseValueConvertible>(_ column: String, _ values: [T]) {
            guard !values.isEmpty else { return }
            sql += " AND \(column) IN (\(values.map { _ in "?" }.joined(separator: ", ")))"
            args += values.map { $0 as DatabaseValueConvertible? }
        }
        list("id", f.ids)
        list("strategy_id", f.strategies)
        list("bk_biz_id", f.bizIds)
        list("json_extract(ex_data, '$.retry_params[0].way')", f.ways)
        if let since = f.since { sql += " AND create_time >= ?"; args.append(since) }
        if let until = f.until { sql += " AND create_time < ?"; args.append(until) }
        sql += " ORDER BY id"
        if let limit = f.limit { sql += " LIMIT ?"; args.append(limit) }
        return try database.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { row in
                let exData = (try? JSONParser.parse(row[7] as String)) ?? .object([:])
                let plugin = (try? JSONParser.parse(row[9] as String)) ?? .object([:])
                let strategy = (try? JSONParser.parse(row[8] as String)) ?? .object([:])
                let strategyId: Int64 = row[2], biz: String = row[3]
                return HeldNotice(id: row[0], createTime: row[1], strategyId: strategyId, bkBizId: biz, parentActionId: row[4],
                                  signal: row[5], status: row[6], sends: exData["retry_params"]?.arrayValue ?? [],
                                  dimensions: BreakerMatcher.dimensions(strategyId: strategyId, bkBizId: biz, strategy: strategy,
                                                                        pluginKey: plugin["plugin_key"]?.stringValue ?? "notice"))
            }
        }
    }

    /// Takes a held row for sending; false when another replay has it or it was replayed.
    package func claimHeld(_ id: Int64, owner: String, now: Int64, lease: Int64) throws -> Bool {
        try database.write { db in
            try db.execute(sql: """
                UPDATE action_instance SET lease_owner = ?, lease_expires_at = ?
                WHERE id = ? AND failure_type = 'blocked' AND status IN ('blocked', 'failure') AND due_at IS NULL
                  AND (lease_owner IS NULL OR lease_expires_at <= ?)
                """, arguments: [owner, now + lease, id, now])
            return db.changesCount > 0
        }
    }

    /// Records a replay: `success` (no longer held), or `failure` that stays replayable.
    package func markReplayed(_ id: Int64, owner: String, ok: Bool, message: String, now: Int64) throws {
        try database.write { db in
            let replay = JSONValue.object(["time": .int(now), "result": .bool(ok), "message": .string(message)]).jsonText
            try db.execute(sql: """
                UPDATE action_instance SET status = ?, failure_type = ?, end_time = ?, update_time = ?,
                    ex_data = json_set(ex_data, '$.replay', json(?), '$.message', ?), lease_owner = NULL, lease_expires_at = NULL,
                    \(Schema.nextChange)
                WHERE id = ? AND lease_owner = ?
                """, arguments: [ok ? "success" : "failure", ok ? nil : "blocked", now, now, replay,
                                 ok ? "replayed: \(message)" : "replay failed (still replayable): \(message)", id, owner])
            guard db.changesCount > 0 else { return }
            try db.execute(sql: "INSERT INTO action_log (time, action_id, step, level, message) VALUES (?, ?, 'replay', ?, ?)",
                           arguments: [now, id, ok ? 20 : 40, ok ? "replayed: \(message)" : "replay failed: \(message)"])
            if let parent = try Int64.fetchOne(db, sql: "SELECT parent_action_id FROM action_instance WHERE id = ?", arguments: [id]), parent > 0 {
                try aggregateParent(parent, db: db, now: now)
            }
        }
    }
}
