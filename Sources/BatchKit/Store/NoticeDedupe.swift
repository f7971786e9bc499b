import GRDB

/// Claims "this send happens once per window" keys, atomically across workers and passes
/// (the original kept them in Redis with `SET NX EX`).
public struct NoticeDedupe: SendGate {
    let database: FTADatabase

    public init(database: FTADatabase) { self.database = database }

    /// Claims `key` for `actionId` until `now + window`. Returns nil when claimed, else the id of
    /// the action that holds it.
    public func claim(_ key: String, actionId: Int64, now: Int64, window: Int64) throws -> Int64? {
        try database.write { db in
            try db.execute(sql: "DELETE FROM notice_dedupe WHERE key = ? AND expires_at <= ?", arguments: [key, now])
            try db.execute(sql: "INSERT OR IGNORE INTO notice_dedupe (key, action_id, expires_at) VALUES (?, ?, ?)",
                           arguments: [key, actionId, now + window])
            if db.changesCount > 0 { return nil }
            let holder = try Int64.fetchOne(db, sql: "SELECT action_id FROM notice_dedupe WHERE key = ?", arguments: [key]) ?? 0
            return holder == actionId ? nil : holder
        }
    }
}
