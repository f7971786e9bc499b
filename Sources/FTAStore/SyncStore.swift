import FTACore
import GRDB

/// What `fta-sync` reads and writes: changed rows in change order, the checkpoint per target,
/// dead letters.
extension SQLiteStore {

    /// Read from the whole action (``Schema/fullView``, as `a`): the planner still takes the
    /// action row's indexes and looks the detail up by id (StoreTests checks the plans).
    static let exportColumns = """
        a.id, change_seq, signal, status, failure_type, strategy_id, alert_level, bk_biz_id, create_time, update_time, end_time,
        execute_times, is_parent_action, parent_action_id, action_config_id, real_status, strategy, dimensions, alerts, ex_data,
        inputs, outputs, action_plugin, action_config, assignee,
        (SELECT r.converge_id FROM converge_relation r WHERE r.related_id = a.id AND r.related_type = 'action'
            ORDER BY r.is_primary DESC, r.converge_id DESC LIMIT 1),
        (SELECT r.is_primary FROM converge_relation r WHERE r.related_id = a.id AND r.related_type = 'action'
            ORDER BY r.is_primary DESC, r.converge_id DESC LIMIT 1)
        """

    static func exportRow(_ r: Row) -> ExportRow {
        var e = ExportRow(id: r[0], changeSeq: r[1] ?? 0, signal: r[2], status: r[3], strategyId: r[5], createTime: r[8], updateTime: r[9])
        e.failureType = r[4]
        e.alertLevel = r[6]
        e.bkBizId = r[7]
        e.endTime = r[10]
        e.executeTimes = r[11]
        e.isParentAction = r[12]
        e.parentActionId = r[13]
        e.actionConfigId = r[14]
        e.realStatus = r[15]
        e.strategy = r[16]; e.dimensions = r[17]; e.alerts = r[18]; e.exData = r[19]
        e.inputs = r[20]; e.outputs = r[21]; e.actionPlugin = r[22]; e.actionConfig = r[23]; e.assignee = r[24]
        e.convergeId = r[25]
        e.isConvergePrimary = (r[26] as Int64?) == 1
        return e
    }

    /// Rows changed after `position`, in change order (optionally only those updated since a
    /// time). SQLite numbers changes inside its single writer, so every number below the
    /// latest is committed: no transaction id is needed.
    package func changes(after position: SyncPosition, limit: Int, updatedSince: Int64?) throws -> [ExportRow] {
        try database.read { db in
            var sql = "SELECT \(SQLiteStore.exportColumns) FROM \(Schema.fullView) a WHERE change_seq > ?"
            var args: [DatabaseValueConvertible] = [position.seq]
            if let since = updatedSince { sql += " AND update_time >= ?"; args.append(since) }
            sql += " ORDER BY change_seq LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(SQLiteStore.exportRow)
        }
    }

    package func exportRows(ids: [Int64]) throws -> [ExportRow] {
        guard !ids.isEmpty else { return [] }
        return try database.read { db in
            try Row.fetchAll(db, sql: "SELECT \(SQLiteStore.exportColumns) FROM \(Schema.fullView) a WHERE a.id IN (\(ids.map { _ in "?" }.joined(separator: ",")))",
                             arguments: StatementArguments(ids)).map(SQLiteStore.exportRow)
        }
    }

    package func syncCheckpoint(_ target: String) throws -> SyncPosition {
        try database.read { db in
            SyncPosition(seq: try Int64.fetchOne(db, sql: "SELECT change_seq FROM sync_checkpoint WHERE target = ?", arguments: [target]) ?? 0)
        }
    }

    /// Moves the checkpoint forward to `seq` (never backwards: an overlapping run that got
    /// further wins).
    package func advanceSync(_ target: String, to position: SyncPosition, exported: Int, now: Int64) throws {
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO sync_checkpoint (target, change_seq, update_time, exported) VALUES (?, ?, ?, ?)
                ON CONFLICT (target) DO UPDATE SET change_seq = max(change_seq, excluded.change_seq), update_time = excluded.update_time,
                    exported = exported + excluded.exported
                """, arguments: [target, position.seq, now, exported])
        }
    }

    package func addDeadLetters(_ target: String, _ letters: [DeadLetter]) throws {
        guard !letters.isEmpty else { return }
        try database.write { db in
            for l in letters {
                try db.execute(sql: """
                    INSERT INTO sync_dead_letter (action_id, target, change_seq, reason, create_time) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (target, action_id) DO UPDATE SET change_seq = excluded.change_seq, reason = excluded.reason, create_time = excluded.create_time
                    """, arguments: [l.actionId, target, l.changeSeq, l.reason, l.createTime])
            }
        }
    }

    package func deadLetters(_ target: String) throws -> [DeadLetter] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT action_id, change_seq, reason, create_time FROM sync_dead_letter WHERE target = ? ORDER BY action_id", arguments: [target])
                .map { DeadLetter(actionId: $0[0], changeSeq: $0[1], reason: $0[2], createTime: $0[3]) }
        }
    }

    package func removeDeadLetters(_ target: String, ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try database.write { db in
            for id in ids { try db.execute(sql: "DELETE FROM sync_dead_letter WHERE target = ? AND action_id = ?", arguments: [target, id]) }
        }
    }

    package func syncLag(_ target: String, now: Int64) throws -> SyncLag {
        try database.read { db in
            let cp = try Row.fetchOne(db, sql: "SELECT change_seq, exported, update_time FROM sync_checkpoint WHERE target = ?", arguments: [target])
            let checkpoint: Int64 = cp?[0] ?? 0
            let latest = try Int64.fetchOne(db, sql: Schema.latestChangeSQL) ?? 0
            let pending = try Int.fetchOne(db, sql: "SELECT count(*) FROM action_instance INDEXED BY action_instance_change WHERE change_seq > ?", arguments: [checkpoint]) ?? 0
            let oldest = try Int64.fetchOne(db, sql: "SELECT min(update_time) FROM action_instance INDEXED BY action_instance_change WHERE change_seq > ?", arguments: [checkpoint])
            let dead = try Int.fetchOne(db, sql: "SELECT count(*) FROM sync_dead_letter WHERE target = ?", arguments: [target]) ?? 0
            return SyncLag(checkpoint: SyncPosition(seq: checkpoint), latest: latest, pendingChanges: pending, pendingSeconds: oldest.map { max(0, now - $0) } ?? 0,
                       deadLetters: dead, exported: cp?[1] ?? 0, lastRun: cp?[2])
        }
    }
}
