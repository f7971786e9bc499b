import Foundation
import FTACore
import GRDB

/// Old finished actions removed in bounded batches, and the space given back (docs/schema.md
/// "Housekeeping").
extension SQLiteStore {
    /// A finished action (not in the queue, not in flight) old enough, that no interval repeat
    /// copies from, no live child hangs under, and no export target still has to send.
    static let purgeCandidatesSQL = """
        SELECT a.id, a.change_seq FROM action_instance a
        WHERE a.due_at IS NULL AND a.status NOT IN (\(SQLiteStore.proceedList)) AND a.update_time < ?
          AND NOT EXISTS (SELECT 1 FROM alert_cycle c WHERE c.action_id = a.id AND c.next_at IS NOT NULL)
          AND NOT (a.is_parent_action = 1 AND EXISTS (
                SELECT 1 FROM action_instance k INDEXED BY action_instance_parent
                WHERE k.parent_action_id = a.id AND k.parent_action_id > 0 AND (k.due_at IS NOT NULL OR k.status IN (\(SQLiteStore.proceedList)))))
          AND a.id > ?
        ORDER BY a.id LIMIT ?
        """

    package func purge(_ policy: PurgePolicy, limit: Int) throws -> PurgeResult {
        var result = PurgeResult()
        var after: Int64 = 0
        while result.actions < limit {
            let last = try database.write { db -> Int64? in
                // The export watermark, read in the same transaction as the delete.
                var watermark = Int64.max
                var dead = Set<Int64>()
                let known = Dictionary(try Row.fetchAll(db, sql: "SELECT target, change_seq FROM sync_checkpoint").map { ($0[0] as String, $0[1] as Int64) },
                                       uniquingKeysWith: max)
                let targets = Set(policy.exportTargets).union(known.keys)
                if !targets.isEmpty {
                    for target in targets { watermark = min(watermark, known[target] ?? 0) }
                    dead = Set(try Int64.fetchAll(db, sql: "SELECT action_id FROM sync_dead_letter"))
                }
                let want = min(policy.batch, limit - result.actions)
                var ids: [Int64] = []
                var last: Int64?
                // Candidates in id order; those an export target has not passed are counted and stepped over.
                scan: while ids.count < want {
                    let rows = try Row.fetchAll(db, sql: SQLiteStore.purgeCandidatesSQL, arguments: [policy.before, last ?? after, want])
                    if rows.isEmpty { break }
                    for row in rows {
                        let id: Int64 = row[0]
                        last = id
                        if (row[1] as Int64? ?? 0) > watermark || dead.contains(id) { result.keptUnexported += 1; continue }
                        ids.append(id)
                        if ids.count == want { break scan }
                    }
                }
                if !ids.isEmpty { try remove(ids, db: db, before: policy.before, into: &result) }
                return last
            }
            guard let last else { break }
            after = last
        }
        if result.actions >= limit {
            result.more = try database.read { db in
                try Row.fetchOne(db, sql: SQLiteStore.purgeCandidatesSQL, arguments: [policy.before, after, 1]) != nil
            }
        }
        return result
    }

    /// Deletes the actions `ids` and what hangs on them, in the caller's transaction.
    private func remove(_ ids: [Int64], db: Database, before: Int64, into result: inout PurgeResult) throws {
        let list = ids.map(String.init).joined(separator: ",")
        try db.execute(sql: "DELETE FROM action_log WHERE action_id IN (\(list))")
        result.logLines += db.changesCount
        try db.execute(sql: "DELETE FROM converge_relation WHERE related_type = 'action' AND related_id IN (\(list))")
        result.convergeRelations += db.changesCount
        try db.execute(sql: "DELETE FROM notice_dedupe WHERE action_id IN (\(list))")
        try db.execute(sql: "DELETE FROM alert_cycle WHERE next_at IS NULL AND action_id IN (\(list))")
        result.repeats += db.changesCount
        try db.execute(sql: "DELETE FROM action_instance WHERE id IN (\(list))")
        result.actions += db.changesCount
        try db.execute(sql: "DELETE FROM action_detail WHERE id IN (\(list))")
        // Converge instances left without actions, then the business-level ones left empty.
        try db.execute(sql: """
            DELETE FROM converge_instance WHERE converge_type = 'action' AND create_time < ?
              AND NOT EXISTS (SELECT 1 FROM converge_relation r WHERE r.converge_id = converge_instance.id)
            """, arguments: [before])
        result.convergeInstances += db.changesCount
        try db.execute(sql: """
            DELETE FROM converge_relation WHERE related_type = 'converge'
              AND NOT EXISTS (SELECT 1 FROM converge_instance i WHERE i.id = converge_relation.related_id)
            """)
        result.convergeRelations += db.changesCount
        try db.execute(sql: """
            DELETE FROM converge_instance WHERE converge_type != 'action' AND create_time < ?
              AND NOT EXISTS (SELECT 1 FROM converge_relation r WHERE r.converge_id = converge_instance.id)
            """, arguments: [before])
        result.convergeInstances += db.changesCount
    }

    package func reclaimSpace(convert: Bool) throws -> Int64 {
        let before = try storageStatus().bytes
        try database.withoutTransaction { db in
            let mode = try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? 0
            if mode != 2 {
                guard convert else { return }
                // A file made without incremental vacuum: one full rewrite turns it on.
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                try db.execute(sql: "VACUUM")
            } else {
                _ = try Row.fetchAll(db, sql: "PRAGMA incremental_vacuum")
            }
            _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        return max(0, before - (try storageStatus().bytes))
    }

    package func storageStatus() throws -> StorageStatus {
        var s = StorageStatus()
        try database.read { db in
            let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            s.freeBytes = (try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0) * pageSize
            s.actions = try Int.fetchOne(db, sql: "SELECT count(*) FROM action_instance") ?? 0
            s.oldestCreateTime = try Int64.fetchOne(db, sql: "SELECT create_time FROM action_instance ORDER BY id LIMIT 1")
        }
        for suffix in ["", "-wal"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: database.path + suffix))?[.size] as? NSNumber
            s.bytes += size?.int64Value ?? 0
        }
        return s
    }
}
