import FTACore

/// fta-sync's change feed on PostgreSQL. A change is stamped with its number and its
/// transaction id (trigger `fta_number_change`); the feed returns only changes of transactions
/// older than every transaction still running (`pg_snapshot_xmin`), in (transaction, number)
/// order. A transaction that took a low number but commits late is therefore never passed
/// over: while it runs, the feed stops just before it (the export lags, visibly), and once it
/// has committed its changes come next. Numbers alone lose such changes under concurrent writers.
extension PostgresStore {

    static let exportColumns = """
        id, change_seq, signal, status, failure_type, strategy_id, alert_level, bk_biz_id, create_time, update_time, end_time,
        execute_times, is_parent_action, parent_action_id, action_config_id, real_status, strategy, dimensions, alerts, ex_data,
        inputs, outputs, action_plugin, action_config, assignee, change_xid,
        (SELECT r.converge_id FROM converge_relation r WHERE r.related_id = action_instance.id AND r.related_type = 'action'
            ORDER BY r.is_primary DESC, r.converge_id DESC LIMIT 1),
        (SELECT r.is_primary FROM converge_relation r WHERE r.related_id = action_instance.id AND r.related_type = 'action'
            ORDER BY r.is_primary DESC, r.converge_id DESC LIMIT 1)
        """

    /// The watermark: transactions below it have all ended.
    static let watermarkSQL = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"

    static func exportRow(_ r: [String?]) -> ExportRow {
        func i(_ k: Int) -> Int64 { r[k].flatMap { Int64($0) } ?? 0 }
        var e = ExportRow(id: i(0), changeSeq: i(1), signal: r[2] ?? "", status: r[3] ?? "", strategyId: i(5), createTime: i(8), updateTime: i(9))
        e.failureType = r[4]
        e.alertLevel = i(6)
        e.bkBizId = r[7] ?? ""
        e.endTime = r[10].flatMap { Int64($0) }
        e.executeTimes = i(11)
        e.isParentAction = r[12] == "t"
        e.parentActionId = i(13)
        e.actionConfigId = i(14)
        e.realStatus = r[15] ?? ""
        e.strategy = r[16] ?? "{}"; e.dimensions = r[17] ?? "[]"; e.alerts = r[18] ?? "[]"; e.exData = r[19] ?? "{}"
        e.inputs = r[20] ?? "{}"; e.outputs = r[21] ?? "{}"; e.actionPlugin = r[22] ?? "{}"; e.actionConfig = r[23] ?? "{}"; e.assignee = r[24] ?? "[]"
        e.changeXid = i(25)
        e.convergeId = r[26].flatMap { Int64($0) }
        e.isConvergePrimary = r[27] == "t"
        return e
    }

    package func changes(after position: SyncPosition, limit: Int, updatedSince: Int64?) throws -> [ExportRow] {
        try read {
            var sql = """
                SELECT \(PostgresStore.exportColumns) FROM action_instance
                WHERE change_seq IS NOT NULL AND (change_xid, change_seq) > ($1, $2) AND change_xid < \(PostgresStore.watermarkSQL)
                """
            var args: [(any PGBindable)?] = [position.xid, position.seq]
            if let since = updatedSince { sql += " AND update_time >= $3"; args.append(since) }
            sql += " ORDER BY change_xid, change_seq LIMIT $\(args.count + 1)"
            args.append(limit)
            return try db.execute(sql, args).rows.map(PostgresStore.exportRow)
        }
    }

    package func exportRows(ids: [Int64]) throws -> [ExportRow] {
        guard !ids.isEmpty else { return [] }
        return try read {
            try db.execute("SELECT \(PostgresStore.exportColumns) FROM action_instance WHERE id = ANY($1::bigint[])", [PGArray(ids)])
                .rows.map(PostgresStore.exportRow)
        }
    }

    package func syncCheckpoint(_ target: String) throws -> SyncPosition {
        try read {
            let r = try db.execute("SELECT change_xid, change_seq FROM sync_checkpoint WHERE target = $1", [target])
            guard !r.isEmpty else { return .start }
            return SyncPosition(xid: r.int(0, 0) ?? 0, seq: r.int(0, 1) ?? 0)
        }
    }

    /// Moves the checkpoint forward (never back: an overlapping run that got further wins).
    package func advanceSync(_ target: String, to position: SyncPosition, exported: Int, now: Int64) throws {
        try write {
            try db.execute("""
                INSERT INTO sync_checkpoint (target, change_xid, change_seq, update_time, exported) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (target) DO UPDATE SET
                    change_xid = CASE WHEN (excluded.change_xid, excluded.change_seq) > (sync_checkpoint.change_xid, sync_checkpoint.change_seq)
                                      THEN excluded.change_xid ELSE sync_checkpoint.change_xid END,
                    change_seq = CASE WHEN (excluded.change_xid, excluded.change_seq) > (sync_checkpoint.change_xid, sync_checkpoint.change_seq)
                                      THEN excluded.change_seq ELSE sync_checkpoint.change_seq END,
                    update_time = excluded.update_time, exported = sync_checkpoint.exported + excluded.exported
                """, [target, position.xid, position.seq, now, exported])
        }
    }

    package func addDeadLetters(_ target: String, _ letters: [DeadLetter]) throws {
        guard !letters.isEmpty else { return }
        try write {
            for l in letters {
                try db.execute("""
                    INSERT INTO sync_dead_letter (action_id, target, change_seq, reason, create_time) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (target, action_id) DO UPDATE SET change_seq = excluded.change_seq, reason = excluded.reason, create_time = excluded.create_time
                    """, [l.actionId, target, l.changeSeq, l.reason, l.createTime])
            }
        }
    }

    package func deadLetters(_ target: String) throws -> [DeadLetter] {
        try read {
            try db.execute("SELECT action_id, change_seq, reason, create_time FROM sync_dead_letter WHERE target = $1 ORDER BY action_id", [target]).rows.map {
                DeadLetter(actionId: $0[0].flatMap { Int64($0) } ?? 0, changeSeq: $0[1].flatMap { Int64($0) } ?? 0, reason: $0[2] ?? "",
                           createTime: $0[3].flatMap { Int64($0) } ?? 0)
            }
        }
    }

    package func removeDeadLetters(_ target: String, ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try write { try db.execute("DELETE FROM sync_dead_letter WHERE target = $1 AND action_id = ANY($2::bigint[])", [target, PGArray(ids)]) }
    }

    package func syncLag(_ target: String, now: Int64) throws -> SyncLag {
        try read {
            let position = try syncCheckpoint(target)
            let cp = try db.execute("SELECT exported, update_time FROM sync_checkpoint WHERE target = $1", [target])
            let latest = try db.execute("""
                SELECT change_seq FROM action_instance WHERE change_seq IS NOT NULL AND change_xid < \(PostgresStore.watermarkSQL)
                ORDER BY change_xid DESC, change_seq DESC LIMIT 1
                """).scalarInt ?? 0
            let pending = try db.execute("""
                SELECT count(*), min(update_time) FROM action_instance
                WHERE change_seq IS NOT NULL AND (change_xid, change_seq) > ($1, $2)
                """, [position.xid, position.seq])
            let dead = try db.execute("SELECT count(*) FROM sync_dead_letter WHERE target = $1", [target]).scalarInt ?? 0
            var lag = SyncLag(checkpoint: position, latest: latest, pendingChanges: Int(pending.int(0, 0) ?? 0),
                              pendingSeconds: pending.int(0, 1).map { max(0, now - $0) } ?? 0, deadLetters: Int(dead),
                              exported: Int(cp.isEmpty ? 0 : cp.int(0, 0) ?? 0), lastRun: cp.isEmpty ? nil : cp.int(0, 1))
            // The oldest transaction still running that has written: changes after it wait.
            let holder = try db.execute("""
                SELECT pid, coalesce(application_name, ''), state, extract(epoch FROM now() - xact_start)::bigint FROM pg_stat_activity
                WHERE backend_xid IS NOT NULL AND datname = current_database() AND pid != pg_backend_pid()
                ORDER BY age(backend_xid) DESC LIMIT 1
                """)
            if !holder.isEmpty, (holder.int(0, 3) ?? 0) >= 1 {
                lag.heldBy = "pid \(holder.string(0, 0) ?? "?") (\(holder.string(0, 1) ?? "")), \(holder.string(0, 2) ?? "") for \(holder.int(0, 3) ?? 0) s"
            }
            return lag
        }
    }
}
