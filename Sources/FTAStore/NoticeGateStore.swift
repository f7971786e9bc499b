import FTACore
import GRDB

/// The notice gate in the database (`notice_dedupe`, `notice_quota`, `notice_digest`): keys
/// claimed and counts taken in one IMMEDIATE transaction that first checks each notice's lease,
/// so they hold across workers, passes and restarts, and a notice whose claim was lost admits
/// nothing (the original kept them in Redis with `SET NX EX`).
extension SQLiteStore {
    /// Titles kept per digest (the count covers all).
    static let digestTitles = 20

    package func admit(_ requests: [GateRequest], now: Int64) throws -> [GateDecision] {
        guard !requests.isEmpty else { return [] }
        return try database.write { db in
            let leased = try db.cachedStatement(sql: "SELECT 1 FROM action_instance WHERE id = ? AND lease_token = ? AND due_at IS NOT NULL")
            return try requests.map { r -> GateDecision in
                guard try Bool.fetchOne(leased, arguments: [r.hold.id, r.hold.token]) == true else { return .leaseLost }
                switch r.kind {
                case .once(let key, let window):
                    return try claimOnce(db, key: key, actionId: r.hold.id, now: now, window: window).map { .heldBy($0) } ?? .admitted
                case .quota(let way, let receiver, let cap, let window, let item):
                    return try takeQuota(db, way: way, receiver: receiver, cap: cap, window: window, now: now, fold: item).map { .folded(digestAt: $0) } ?? .admitted
                }
            }
        }
    }

    /// Claims `key` for `actionId` until `now + window`: nil when claimed, else the holder's id.
    func claimOnce(_ db: Database, key: String, actionId: Int64, now: Int64, window: Int64) throws -> Int64? {
        try db.execute(sql: "DELETE FROM notice_dedupe WHERE key = ? AND expires_at <= ?", arguments: [key, now])
        try db.execute(sql: "INSERT OR IGNORE INTO notice_dedupe (key, action_id, expires_at) VALUES (?, ?, ?)",
                       arguments: [key, actionId, now + window])
        if db.changesCount > 0 { return nil }
        let holder = try Int64.fetchOne(db, sql: "SELECT action_id FROM notice_dedupe WHERE key = ?", arguments: [key]) ?? 0
        return holder == actionId ? nil : holder
    }

    /// Counts one send to `receiver` on `way` against `cap` per `window`: nil when it may go out;
    /// otherwise the notice is folded into the receiver's digest and the digest's time returned.
    func takeQuota(_ db: Database, way: String, receiver: String, cap: Int, window: Int64, now: Int64, fold item: DigestItem) throws -> Int64? {
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
            if titles.count < SQLiteStore.digestTitles { titles.append(.string(item.title)) }
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
