import FTACore
import GRDB

/// What a lingering pass waits on, and the register of running passes.
extension SQLiteStore {
    /// The earliest due time of a live row no live lease holds (even one already due: it is
    /// claimed at once), the first lease to run out on a due row, and the first time after `now`
    /// at which a live row passes its deadline or an interval round or a digest is due. Each is
    /// read from an index (`due_at` and `deadline_at` of live rows, `alert_cycle.next_at`,
    /// `notice_digest.due_at`); the leased rows walked are those already due (in flight). (A row
    /// leased by an fta before schema v14 has `due_at` at its lease expiry, in the future: it
    /// counts at that time.)
    package func nextDue(after now: Double) throws -> Double? {
        try database.read { db in
            let candidates: [Double?] = [
                try Double.fetchOne(db, sql: """
                    SELECT due_at FROM action_instance INDEXED BY action_instance_due
                    WHERE due_at IS NOT NULL AND (\(SQLiteStore.unleased) OR due_at > ?1)
                    ORDER BY due_at LIMIT 1
                    """, arguments: [now]),
                try Double.fetchOne(db, sql: """
                    SELECT min(lease_expires_at) FROM action_instance INDEXED BY action_instance_due
                    WHERE due_at IS NOT NULL AND due_at <= ?1 AND lease_expires_at > ?1
                    """, arguments: [now]),
                try Double.fetchOne(db, sql: """
                    SELECT min(deadline_at) FROM action_instance INDEXED BY action_instance_due
                    WHERE due_at IS NOT NULL AND deadline_at > ?
                    """, arguments: [now]),
                try Double.fetchOne(db, sql: "SELECT min(next_at) FROM alert_cycle WHERE next_at IS NOT NULL AND next_at > ?", arguments: [now]),
                try Double.fetchOne(db, sql: "SELECT min(due_at) FROM notice_digest WHERE due_at > ?", arguments: [now]),
            ]
            return candidates.compactMap { $0 }.min()
        }
    }

    /// SQLite's `data_version`: it changes when another connection commits to the file. The
    /// store holds one connection, so its own writes never move it.
    package func changeMark() throws -> Int64 {
        try database.read { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
    }

    package func heartbeat(_ worker: PassWorker) throws {
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO tick_worker (worker_id, started_at, heartbeat_at, lingering, ends_by) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, ends_by = excluded.ends_by
                """, arguments: [worker.workerId, worker.startedAt, worker.heartbeatAt, worker.lingering, worker.endsBy])
            // Rows of passes that died long ago.
            try db.execute(sql: "DELETE FROM tick_worker WHERE heartbeat_at < ?", arguments: [worker.heartbeatAt - 86_400])
        }
    }

    package func endPass(workerId: String) throws {
        defer { database.stopBackgroundCheckpoints() }
        try database.write { db in try db.execute(sql: "DELETE FROM tick_worker WHERE worker_id = ?", arguments: [workerId]) }
    }

    package func runningPasses(now: Int64, staleAfter: Int64) throws -> [PassWorker] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT worker_id, started_at, heartbeat_at, lingering, ends_by FROM tick_worker
                WHERE heartbeat_at >= ? ORDER BY started_at
                """, arguments: [now - staleAfter]).map {
                PassWorker(workerId: $0[0], startedAt: $0[1], heartbeatAt: $0[2], lingering: $0[3], endsBy: $0[4])
            }
        }
    }
}
