/// A duty plan as stored (`duty_plan`): who is on duty when, for one group and rule.
package struct DutyPlan: Sendable, Equatable {
    package init(id: Int64, groupId: String, ruleId: Int64, order: Int, userIndex: Int, isEffective: Bool, startTime: String,
                finishedTime: String, users: [JSONValue], workTimes: [WorkTime]) {
        self.id = id
        self.groupId = groupId
        self.ruleId = ruleId
        self.order = order
        self.userIndex = userIndex
        self.isEffective = isEffective
        self.startTime = startTime
        self.finishedTime = finishedTime
        self.users = users
        self.workTimes = workTimes
    }

    package var id: Int64
    package var groupId: String
    package var ruleId: Int64
    package var order: Int
    package var userIndex: Int
    package var isEffective: Bool
    package var startTime: String
    package var finishedTime: String
    package var users: [JSONValue]
    package var workTimes: [WorkTime]

    package var json: JSONValue {
        .object(["id": .int(id), "user_group_id": .string(groupId), "duty_rule_id": .int(ruleId), "order": .int(Int64(order)),
                 "user_index": .int(Int64(userIndex)), "is_effective": .int(isEffective ? 1 : 0), "start_time": .string(startTime),
                 "finished_time": .string(finishedTime), "users": .array(users), "work_times": .array(workTimes.map(\.json))])
    }

    /// The plan's own bounds as wall-clock times, end exclusive (a `…:59` finish runs to the end
    /// of that second; a finish cut at a handoff is the handoff itself).
    package var bounds: (start: WallTime, end: WallTime) {
        let s = WallTime.parse(startTime) ?? WallTime(seconds: 0)
        let f = WallTime.parse(finishedTime) ?? WallTime.max
        return (s, f.secondOfDay % 60 == 59 ? f.adding(seconds: 1) : f)
    }

    /// Work times clipped to the plan's bounds (a cut plan keeps its work times but ends early).
    package var effectiveWorkTimes: [(start: WallTime, end: WallTime)] {
        let b = bounds
        return workTimes.compactMap { w in
            let s = max(w.start, b.start), e = min(w.exclusiveEnd, b.end)
            return s < e ? (s, e) : nil
        }
    }
}


/// Who is on duty for a group at an instant, from its plans (docs/original-system.md §8.4).
package struct DutyResolution: Sendable {
    package var users: [JSONValue]
    /// The active plans, by rule, in the order they were considered.
    package var active: [(ruleId: Int64, plans: [DutyPlan])]
    /// When the earliest of the active work times ends (an instant), nil when nobody is on duty.
    package var until: Int64?

    package static func resolve(group: UserGroup, plans: [DutyPlan], at instant: Int64, clock: ZoneClock) -> DutyResolution {
        var byRule: [Int64: [DutyPlan]] = [:]
        for p in plans { byRule[p.ruleId, default: []].append(p) }
        var users: [JSONValue] = []
        var seen = Set<String>()
        var active: [(Int64, [DutyPlan])] = []
        var until: Int64?
        var order: [Int64] = []
        for r in group.dutyRules where !order.contains(r) { order.append(r) }
        for ruleId in order {
            let running = (byRule[ruleId] ?? []).sorted { ($0.order, $0.id) < ($1.order, $1.id) }.filter { p in
                p.effectiveWorkTimes.contains { w in
                    let s = clock.instant(of: w.start), e = clock.instant(of: w.end)
                    if s <= instant, instant < e { until = min(until ?? e, e); return true }
                    return false
                }
            }
            guard !running.isEmpty else { continue }
            for p in running {
                for u in p.users {
                    let key = (u["type"]?.stringValue ?? "user") + "\u{1}" + (u["id"]?.scalarText ?? "")
                    if seen.insert(key).inserted { users.append(u) }
                }
            }
            active.append((ruleId, running))
            if group.hitFirstDuty { break }
        }
        // Until: the end of the running work time, carried on through work times of the same
        // plans that start right where it ends (a week of daily entries is one stretch).
        if var end = until {
            let spans = active.flatMap { $0.1 }.flatMap(\.effectiveWorkTimes).map { (clock.instant(of: $0.start), clock.instant(of: $0.end)) }
            var moved = true
            while moved {
                moved = false
                for (s, e) in spans where s <= end && e > end {
                    end = e
                    moved = true
                }
            }
            until = end
        }
        return DutyResolution(users: users, active: active, until: until)
    }
}

extension DutyResolution {
    /// The users on duty as user ids for notices: `user` entries by id, `group` entries by the
    /// members of the group of that id in `directory`.
    package func userIds(in directory: UserDirectory) -> [String] {
        var ids: [String] = []
        for u in users {
            let uid = u["id"]?.scalarText ?? ""
            if u["type"]?.stringValue == "group" {
                for m in directory.groups[uid]?.users ?? [] where !ids.contains(m) { ids.append(m) }
            } else if !uid.isEmpty, !ids.contains(uid) {
                ids.append(uid)
            }
        }
        return ids
    }
}

extension UserDirectory {
    /// Sets ``onDutyUsers`` from who is on duty per duty group. A duty group with nobody on duty
    /// falls back to the users it lists, if any (the original notified nobody). Returns the duty
    /// groups that have nobody to notify.
    @discardableResult
    package mutating func applyDuty(_ onDuty: [String: [String]]) -> [String] {
        var empty: [String] = []
        for (id, users) in onDuty {
            if !users.isEmpty {
                onDutyUsers[id] = users
            } else if groups[id]?.users.isEmpty ?? true {
                onDutyUsers[id] = []
                empty.append(id)
            }
        }
        return empty.sorted()
    }

    /// This directory with `other`'s users and groups over it (same id: `other` wins).
    package func overlaid(by other: UserDirectory) -> UserDirectory {
        var d = self
        for (k, v) in other.users { d.users[k] = v }
        for (k, v) in other.groups { d.groups[k] = v }
        return d
    }
}
