import FTACore

/// Old finished actions removed in bounded batches (docs/schema.md "Housekeeping"). Space is
/// PostgreSQL's autovacuum's to reuse; a purge does not rewrite tables.
extension PostgresStore {
    static let purgeCandidatesSQL = """
        SELECT a.id, a.change_xid, a.change_seq FROM action_instance a
        WHERE a.due_at IS NULL AND NOT (a.status = ANY($1::text[])) AND a.update_time < $2
          AND NOT EXISTS (SELECT 1 FROM alert_cycle c WHERE c.action_id = a.id AND c.next_at IS NOT NULL)
          AND NOT (a.is_parent_action AND EXISTS (
                SELECT 1 FROM action_instance k WHERE k.parent_action_id = a.id AND k.parent_action_id > 0
                  AND (k.due_at IS NOT NULL OR k.status = ANY($1::text[]))))
          AND a.id > $3
        ORDER BY a.id LIMIT $4
        """

    package func purge(_ policy: PurgePolicy, limit: Int) throws -> PurgeResult {
        var result = PurgeResult()
        var after: Int64 = 0
        let proceed = PGArray(ActionStatus.proceed.map(\.rawValue))
        while result.actions < limit {
            let last = try write { () -> Int64? in
                var watermark: (Int64, Int64)? = nil
                var dead = Set<Int64>()
                var known: [String: (Int64, Int64)] = [:]
                let r = try db.execute("SELECT target, change_xid, change_seq FROM sync_checkpoint")
                for i in 0..<r.rows.count { known[r.string(i, 0) ?? ""] = (r.int(i, 1) ?? 0, r.int(i, 2) ?? 0) }
                let targets = Set(policy.exportTargets).union(known.keys)
                if !targets.isEmpty {
                    for target in targets {
                        let p = known[target] ?? (0, 0)
                        if watermark.map({ p < $0 }) ?? true { watermark = p }
                    }
                    dead = Set(try db.execute("SELECT action_id FROM sync_dead_letter").rows.compactMap { $0[0].flatMap { Int64($0) } })
                }
                let want = min(policy.batch, limit - result.actions)
                var ids: [Int64] = []
                var last: Int64?
                scan: while ids.count < want {
                    let rows = try db.execute(PostgresStore.purgeCandidatesSQL, [proceed, policy.before, last ?? after, want])
                    if rows.isEmpty { break }
                    for i in 0..<rows.rows.count {
                        let id = rows.int(i, 0) ?? 0
                        last = id
                        let position = (rows.int(i, 1) ?? 0, rows.int(i, 2) ?? 0)
                        if let w = watermark, position > w || dead.contains(id) { result.keptUnexported += 1; continue }
                        ids.append(id)
                        if ids.count == want { break scan }
                    }
                }
                if !ids.isEmpty { try remove(ids, before: policy.before, into: &result) }
                return last
            }
            guard let last else { break }
            after = last
        }
        if result.actions >= limit {
            result.more = try read { !(try db.execute(PostgresStore.purgeCandidatesSQL, [proceed, policy.before, after, 1]).isEmpty) }
        }
        return result
    }

    private func remove(_ ids: [Int64], before: Int64, into result: inout PurgeResult) throws {
        let list = PGArray(ids)
        result.logLines += try db.execute("DELETE FROM action_log WHERE action_id = ANY($1::bigint[])", [list]).affected
        result.convergeRelations += try db.execute("DELETE FROM converge_relation WHERE related_type = 'action' AND related_id = ANY($1::bigint[])", [list]).affected
        try db.execute("DELETE FROM notice_dedupe WHERE action_id = ANY($1::bigint[])", [list])
        result.repeats += try db.execute("DELETE FROM alert_cycle WHERE next_at IS NULL AND action_id = ANY($1::bigint[])", [list]).affected
        result.actions += try db.execute("DELETE FROM action_instance WHERE id = ANY($1::bigint[])", [list]).affected
        result.convergeInstances += try db.execute("""
            DELETE FROM converge_instance i WHERE converge_type = 'action' AND create_time < $1
              AND NOT EXISTS (SELECT 1 FROM converge_relation r WHERE r.converge_id = i.id)
            """, [before]).affected
        result.convergeRelations += try db.execute("""
            DELETE FROM converge_relation r WHERE related_type = 'converge'
              AND NOT EXISTS (SELECT 1 FROM converge_instance i WHERE i.id = r.related_id)
            """).affected
        result.convergeInstances += try db.execute("""
            DELETE FROM converge_instance i WHERE converge_type != 'action' AND create_time < $1
              AND NOT EXISTS (SELECT 1 FROM converge_relation r WHERE r.converge_id = i.id)
            """, [before]).affected
    }

    package func reclaimSpace(convert: Bool) throws -> Int64 { 0 }

    package func storageStatus() throws -> StorageStatus {
        try read {
            var s = StorageStatus()
            s.bytes = try db.execute("SELECT pg_database_size(current_database())").scalarInt ?? 0
            s.actions = Int(try db.execute("SELECT count(*) FROM action_instance").scalarInt ?? 0)
            s.oldestCreateTime = try db.execute("SELECT create_time FROM action_instance ORDER BY id LIMIT 1").scalarInt
            return s
        }
    }
}
