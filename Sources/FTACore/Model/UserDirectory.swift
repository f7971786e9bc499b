/// Who can be notified and how: users with an address per notice way, and user groups.
///
/// Groups list users directly, or are duty groups (``UserGroup/needDuty``): then whoever is on
/// duty at send time is notified, supplied to ``resolve`` through `onDuty`.
package struct UserDirectory: Sendable, Equatable {
    package var users: [String: UserContact] = [:]
    package var groups: [String: UserGroup] = [:]
    /// Who is on duty now in duty groups (group id → user ids), filled in by
    /// ``DutyStore/applyDuty(to:at:)``; used by ``resolve`` instead of the group's `users`.
    package var onDutyUsers: [String: [String]] = [:]

    package init(users: [String: UserContact] = [:], groups: [String: UserGroup] = [:]) {
        self.users = users
        self.groups = groups
    }

    /// The address of `user` on `way`, or nil when the user cannot be reached that way.
    package func address(of user: String, on way: String) -> String? {
        users[user]?.address(on: way)
    }

    /// Receivers of a notice for groups and an alert level, in the original's `notify_info` /
    /// `follow_notify_info` shape: `{way: [user ids]}`, with `voice` as a list of user lists
    /// (one per group; `serialVoice` merges them into one de-duplicated list), `wxwork-bot` as
    /// chat ids. Followers already notified as members are left out of `follow`. Ways in
    /// `excludeWays` are dropped. Groups that are not known are returned in `unknownGroups`.
    package func resolve(groups ids: [String], level: Int, excludeWays: Set<String> = [], serialVoice: Bool = false,
                        onDuty: (String) -> [String]? = { _ in nil }) -> Receivers {
        var notify: [String: [String]] = [:]
        var follow: [String: [String]] = [:]
        var voice: [[String]] = []
        var followVoice: [[String]] = []
        var unknown: [String] = []
        var members = Set<String>()
        func add(_ user: String, _ way: String, to info: inout [String: [String]]) {
            if !(info[way]?.contains(user) ?? false) { info[way, default: []].append(user) }
        }
        var followersByGroup: [(UserGroup, [String])] = []
        for id in ids {
            guard let group = groups[id] else { unknown.append(id); continue }
            let ways = group.ways(for: level).filter { !excludeWays.contains($0) }
            let users = onDuty(id) ?? onDutyUsers[id] ?? group.users
            members.formUnion(users)
            for way in ways {
                switch way {
                case "voice": if !users.isEmpty { voice.append(users) }
                case "wxwork-bot": for chat in group.chatIds { add(chat, way, to: &notify) }
                default: for u in users { add(u, way, to: &notify) }
                }
            }
            followersByGroup.append((group, ways))
        }
        for (group, ways) in followersByGroup {
            let followers = group.followers.filter { !members.contains($0) }
            guard !followers.isEmpty else { continue }
            for way in ways where way != "wxwork-bot" {
                if way == "voice" { followVoice.append(followers) } else { for u in followers { add(u, way, to: &follow) } }
            }
        }
        func voiceLists(_ lists: [[String]]) -> [[String]] {
            guard serialVoice, !lists.isEmpty else { return lists }
            var seen = Set<String>()
            return [lists.flatMap { $0 }.filter { seen.insert($0).inserted }]
        }
        return Receivers(notify: notify, follow: follow, voice: voiceLists(voice), followVoice: voiceLists(followVoice), unknownGroups: unknown)
    }

    /// The outcome of ``resolve``.
    package struct Receivers: Sendable, Equatable {
        package var notify: [String: [String]]
        package var follow: [String: [String]]
        package var voice: [[String]]
        package var followVoice: [[String]]
        package var unknownGroups: [String]

        /// `notify_info` as the original stores it in a parent's inputs.
        package var notifyInfo: JSONValue { Receivers.info(notify, voice) }
        /// `follow_notify_info`.
        package var followNotifyInfo: JSONValue { Receivers.info(follow, followVoice) }

        static func info(_ ways: [String: [String]], _ voice: [[String]]) -> JSONValue {
            var o = ways.mapValues { JSONValue.array($0.map { .string($0) }) }
            if !voice.isEmpty { o["voice"] = .array(voice.map { .array($0.map { .string($0) }) }) }
            return .object(o)
        }
    }
}

/// A user's addresses: `email` (mail), `phone` (sms and voice), and any way by name.
package struct UserContact: Sendable, Equatable {
    package var id: String
    package var addresses: [String: String]

    package init(id: String, addresses: [String: String]) {
        self.id = id
        self.addresses = addresses
    }

    package func address(on way: String) -> String? {
        if let direct = addresses[way] { return direct }
        switch way {
        case "mail": return addresses["email"]
        case "sms", "voice": return addresses["phone"]
        default: return nil
        }
    }
}

/// A user group: its members, followers, notice ways per alert level, and bot chats.
package struct UserGroup: Sendable, Equatable {
    package var id: String
    package var name: String
    package var users: [String]
    package var followers: [String]
    /// Ways by alert level (1 fatal, 2 warning, 3 remind); `0` is the default for any level.
    package var noticeWays: [Int: [String]]
    package var chatIds: [String]
    /// Duty rules (rotation) in priority order; empty for groups that list their users directly.
    package var dutyRules: [Int64]
    /// Notices go to whoever is on duty (default: when the group has duty rules).
    package var needDuty: Bool
    /// IANA zone the group's duty plans are written in.
    package var timezone: String
    /// `duty_notice`: `hit_first_duty` (default true) and the original's notice settings.
    package var dutyNotice: [String: JSONValue]

    package var hitFirstDuty: Bool { dutyNotice["hit_first_duty"]?.boolValue ?? true }

    package static let defaultTimezone = "Asia/Shanghai"

    package init(id: String, name: String = "", users: [String] = [], followers: [String] = [], noticeWays: [Int: [String]] = [0: ["mail"]],
                chatIds: [String] = [], dutyRules: [Int64] = [], needDuty: Bool? = nil, timezone: String = UserGroup.defaultTimezone,
                dutyNotice: [String: JSONValue] = [:]) {
        self.needDuty = needDuty ?? !dutyRules.isEmpty
        self.timezone = timezone
        self.dutyNotice = dutyNotice
        self.id = id
        self.name = name.isEmpty ? id : name
        self.users = users
        self.followers = followers
        self.noticeWays = noticeWays
        self.chatIds = chatIds
        self.dutyRules = dutyRules
    }

    package func ways(for level: Int) -> [String] { noticeWays[level] ?? noticeWays[0] ?? [] }
}
