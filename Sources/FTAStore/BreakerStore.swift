import FTACore
import GRDB

/// Circuit-breaker rules (`breaker_rule`).
extension SQLiteStore {

    /// Stores rules in one transaction, in order (their order is their folding order).
    package func addBreakerRules(_ rules: [BreakerRule], now: Int64) throws -> [Int64] {
        for r in rules { try r.validate() }
        return try database.write { db in
            try rules.map { r in
                try db.execute(sql: """
                    INSERT INTO breaker_rule (key, method, value, condition, description, creator, create_time, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [r.key, r.method, JSONValue.array(r.values.map { .string($0) }).jsonText, r.condition,
                                     r.description, r.creator, now, r.expiresAt])
                return db.lastInsertedRowID
            }
        }
    }

    /// Rules in folding order; expired ones only with `includeExpired`.
    package func breakerRules(now: Int64, includeExpired: Bool) throws -> [BreakerRule] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, key, method, value, condition, description, creator, create_time, expires_at, held FROM breaker_rule
                WHERE module = 'action' AND (? OR expires_at IS NULL OR expires_at > ?) ORDER BY id
                """, arguments: [includeExpired, now]).map { row in
                let values = ((try? JSONParser.parse(row[3] as String).arrayValue) ?? []).compactMap(\.scalarText)
                var r = BreakerRule(key: row[1], method: row[2], values: values, condition: row[4])
                r.id = row[0]
                r.description = row[5]
                r.creator = row[6]
                r.createTime = row[7]
                r.expiresAt = row[8]
                r.held = row[9]
                return r
            }
        }
    }


    /// Removes rules by id; returns the ids that existed.
    package func removeBreakerRules(_ ids: [Int64]) throws -> [Int64] {
        try database.write { db in
            try ids.filter { id in
                try db.execute(sql: "DELETE FROM breaker_rule WHERE id = ?", arguments: [id])
                return db.changesCount > 0
            }
        }
    }

    package func clearBreakerRules() throws -> Int {
        try database.write { db in
            try db.execute(sql: "DELETE FROM breaker_rule WHERE module = 'action'")
            return db.changesCount
        }
    }
}
