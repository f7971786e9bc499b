import FTACore
import GRDB

/// Users and user groups kept in the database (`notice_user`, `user_group`).
extension SQLiteStore {

    /// Everything stored.
    package func loadDirectory() throws -> UserDirectory {
        try database.read { db in
            var directory = UserDirectory()
            for row in try Row.fetchAll(db, sql: "SELECT id, addresses FROM notice_user") {
                let id: String = row[0]
                let o = (try? JSONParser.parse(row[1] as String).objectValue) ?? [:]
                directory.users[id] = UserContact(id: id, addresses: o.compactMapValues(\.scalarText))
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, name, users, followers, notice_ways, chat_ids, duty_rules, need_duty, timezone, duty_notice FROM user_group") {
                func list(_ i: Int) -> [String] { ((try? JSONParser.parse(row[i] as String).arrayValue) ?? []).compactMap(\.scalarText) }
                var ways: [Int: [String]] = [:]
                for (k, v) in (try? JSONParser.parse(row[4] as String).objectValue) ?? [:] {
                    ways[Int(k) ?? 0] = (v.arrayValue ?? []).compactMap(\.stringValue)
                }
                let id: String = row[0]
                directory.groups[id] = UserGroup(id: id, name: row[1], users: list(2), followers: list(3), noticeWays: ways.isEmpty ? [0: ["mail"]] : ways,
                                                 chatIds: list(5), dutyRules: list(6).compactMap { Int64($0) }, needDuty: row[7] as Bool,
                                                 timezone: row[8], dutyNotice: (try? JSONParser.parse(row[9] as String).objectValue) ?? [:])
            }
            return directory
        }
    }

    /// Stores (inserts or replaces) the users and groups of `directory`, in one transaction.
    /// With `replace`, users and groups not in `directory` are removed.
    package func saveDirectory(_ directory: UserDirectory, replace: Bool, now: Int64) throws -> (users: Int, groups: Int, removed: Int) {
        try database.write { db in
            var removed = 0
            if replace {
                try db.execute(sql: "DELETE FROM notice_user")
                try db.execute(sql: "DELETE FROM user_group")
                removed = db.changesCount
            }
            for (id, u) in directory.users {
                let addresses = JSONValue.object(u.addresses.mapValues { .string($0) }).jsonText
                try db.execute(sql: """
                    INSERT INTO notice_user (id, addresses, update_time) VALUES (?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET addresses = excluded.addresses, update_time = excluded.update_time
                    """, arguments: [id, addresses, now])
            }
            for (id, g) in directory.groups {
                func list(_ l: [String]) -> String { JSONValue.array(l.map { .string($0) }).jsonText }
                let ways = JSONValue.object(Dictionary(uniqueKeysWithValues: g.noticeWays.map { (String($0.key), JSONValue.array($0.value.map { .string($0) })) })).jsonText
                try db.execute(sql: """
                    INSERT OR REPLACE INTO user_group (id, name, users, followers, notice_ways, chat_ids, duty_rules, need_duty, timezone, duty_notice, update_time)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, g.name, list(g.users), list(g.followers), ways, list(g.chatIds), list(g.dutyRules.map(String.init)),
                                     g.needDuty, g.timezone, JSONValue.object(g.dutyNotice).jsonText, now])
            }
            return (directory.users.count, directory.groups.count, removed)
        }
    }
}
