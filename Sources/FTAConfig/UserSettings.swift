import Foundation
import FTACore

/// The `users:` and `user_groups:` sections.
///
/// ```yaml
/// users:
///   alice: {email: alice@example.com, phone: "13800000001", weixin: alice_wx}
/// user_groups:
///   ops:
///     name: Operations
///     users: [alice, bob]
///     followers: [carol]
///     notice_ways: {default: [mail], 1: [mail, sms, voice], 2: [mail, sms]}
///     chat_ids: [chat-ops]          # wxwork-bot chats
/// ```
package enum UserSettings {
    static func parse(users: JSONValue?, groups: JSONValue?, reader: ConfigReader, knownUsers: Set<String> = [], checkUsers: Bool = true) throws -> UserDirectory {
        var directory = UserDirectory()
        if let users {
            guard case .object(let o) = users else { throw FTAError.config("config \(reader.source): users: expected a mapping of user ids") }
            for (id, spec) in o {
                let r = reader.at("users").at(id)
                guard case .object(let fields) = spec else { throw FTAError.config("config \(reader.source): users.\(id): expected a mapping of ways to addresses") }
                var addresses: [String: String] = [:]
                for (way, value) in fields { addresses[way] = try r.string(value, way) }
                directory.users[id] = UserContact(id: id, addresses: addresses)
            }
        }
        if let groups {
            guard case .object(let o) = groups else { throw FTAError.config("config \(reader.source): user_groups: expected a mapping of group ids") }
            for (id, spec) in o {
                let r = reader.at("user_groups").at(id)
                let f = try r.object(spec, allowed: ["name", "users", "followers", "notice_ways", "chat_ids", "duty_rules",
                                                               "need_duty", "timezone", "duty_notice"])
                func list(_ key: String) throws -> [String] {
                    guard let v = f[key] else { return [] }
                    guard case .array(let items) = v else { throw r.fail(key, "expected a list") }
                    return try items.map { try r.string($0, key) }
                }
                let users = try list("users"), followers = try list("followers")
                for u in users + followers where checkUsers && directory.users[u] == nil && !knownUsers.contains(u) {
                    throw FTAError.config("config \(reader.source): user_groups.\(id): user '\(u)' is not in users")
                }
                var ways: [Int: [String]] = [0: ["mail"]]
                if let w = f["notice_ways"] {
                    guard case .object(let byLevel) = w else { throw r.fail("notice_ways", "expected {default|1|2|3: [ways]}") }
                    ways = [:]
                    for (key, value) in byLevel {
                        let level: Int
                        switch key {
                        case "default": level = 0
                        case "1", "2", "3": level = Int(key) ?? 0
                        default: throw r.fail("notice_ways.\(key)", "levels are default, 1 (fatal), 2 (warning), 3 (remind)")
                        }
                        guard case .array(let items) = value else { throw r.fail("notice_ways.\(key)", "expected a list of ways") }
                        ways[level] = try items.map { try r.string($0, "notice_ways.\(key)") }
                    }
                }
                let duty: [Int64] = try (f["duty_rules"]?.arrayValue ?? []).map {
                    guard let i = $0.intValue else { throw r.fail("duty_rules", "expected rule ids") }
                    return i
                }
                var needDuty: Bool?
                if let n = f["need_duty"], !n.isNull {
                    guard let b = n.boolValue else { throw r.fail("need_duty", "expected true or false") }
                    needDuty = b
                }
                var zone = UserGroup.defaultTimezone
                if let z = f["timezone"], !z.isNull {
                    zone = try r.string(z, "timezone")
                    guard ZoneClock(identifier: zone) != nil else { throw r.fail("timezone", "'\(zone)' is not an IANA time zone (e.g. Europe/Berlin)") }
                }
                var dutyNotice: [String: JSONValue] = [:]
                if let d = f["duty_notice"], !d.isNull {
                    guard case .object(let o) = d else { throw r.fail("duty_notice", "expected a mapping (hit_first_duty: true)") }
                    if let h = o["hit_first_duty"], h.boolValue == nil { throw r.fail("duty_notice.hit_first_duty", "expected true or false") }
                    dutyNotice = o
                }
                directory.groups[id] = UserGroup(id: id, name: try f["name"].map { try r.string($0, "name") } ?? id, users: users,
                                                 followers: followers, noticeWays: ways, chatIds: try list("chat_ids"), dutyRules: duty,
                                                 needDuty: needDuty, timezone: zone, dutyNotice: dutyNotice)
            }
        }
        return directory
    }

    /// A file of `users:` and `user_groups:` (the config file's shape) for `fta-tick groups
    /// import`. Groups may name users already stored (`knownUsers`).
    package static func load(path: String, knownUsers: Set<String>, environment: [String: String]) throws -> UserDirectory {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw FTAError.config("\(path): cannot read the file")
        }
        let root = try YAMLDocument.load(text, name: path, environment: environment) ?? .null
        guard case .object(let top) = root else { throw FTAError.config("\(path): expected a mapping with users: and user_groups:") }
        for key in top.keys.sorted() where key != "users" && key != "user_groups" {
            throw FTAError.config("\(path): unknown section '\(key)' (a directory file has users: and user_groups:)")
        }
        return try parse(users: top["users"], groups: top["user_groups"], reader: ConfigReader(source: path), knownUsers: knownUsers)
    }
}
