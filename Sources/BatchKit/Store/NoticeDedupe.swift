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

    /// Titles kept per digest (the count covers all).
    static let digestTitles = 20

    public func admit(way: String, receiver: String, cap: Int, window: Int64, now: Int64, fold item: DigestItem) throws -> Int64? {
        try database.write { db in
            let key = "\(way)|\(receiver)"
            try db.execute(sql: "DELETE FROM notice_quota WHERE key = ? AND expires_at <= ?", arguments: [key, now])
            let row = try Row.fetchOne(db, sql: "SELECT count, expires_at FROM notice_quota WHERE key = ?", arguments: [key])
            guard let row else {
                try db.execute(sql: "INSERT INTO notice_quota (key, count, expires_at) VALUES (?, 1, ?)", arguments: [key, now + window])
                return nil
            }
            let count: Int = row[0], expires: Int64 = row[1]
            if count < cap {
                try db.execute(sql: "UPDATE notice_quota SET count = count + 1 WHERE key = ?", arguments: [key])
                return nil
            }
            if let d = try Row.fetchOne(db, sql: "SELECT count, titles, alerts, due_at FROM notice_digest WHERE way = ? AND receiver = ?", arguments: [way, receiver]) {
                var titles = (try? JSONParser.parse(d[1] as String).arrayValue) ?? []
                if titles.count < NoticeDedupe.digestTitles { titles.append(.string(item.title)) }
                var alerts = (try? JSONParser.parse(d[2] as String).arrayValue) ?? []
                if !alerts.contains(.string(item.alertId)) { alerts.append(.string(item.alertId)) }
                try db.execute(sql: "UPDATE notice_digest SET count = count + 1, titles = ?, alerts = ? WHERE way = ? AND receiver = ?",
                               arguments: [JSONValue.array(titles).jsonText, JSONValue.array(alerts).jsonText, way, receiver])
                return d[3]
            }
            try db.execute(sql: "INSERT INTO notice_digest (way, receiver, due_at, count, titles, alerts, bk_biz_id) VALUES (?, ?, ?, 1, ?, ?, ?)",
                           arguments: [way, receiver, expires, JSONValue.array([.string(item.title)]).jsonText,
                                       JSONValue.array([.string(item.alertId)]).jsonText, item.bkBizId])
            return expires
        }
    }
}
