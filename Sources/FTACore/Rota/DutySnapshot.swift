/// A duty-rule snapshot (`duty_rule_snap`): the generator's state for one group and rule.
package struct DutySnapshot: Sendable {
    package init(id: Int64, ruleId: Int64, hash: String, rule: DutyRule?, text: String, first: String, next: String, end: String, completed: Bool) {
        self.id = id
        self.ruleId = ruleId
        self.hash = hash
        self.rule = rule
        self.text = text
        self.first = first
        self.next = next
        self.end = end
        self.completed = completed
    }

    /// 0 until stored.
    package var id: Int64
    package var ruleId: Int64
    package var hash: String
    /// The snapshot's rule with its state; nil until a batch needs it (then `text` is parsed).
    package var rule: DutyRule?
    package var text: String
    package var first: String
    package var next: String
    package var end: String
    package var completed: Bool

    package mutating func parsedRule() throws -> DutyRule {
        if let rule { return rule }
        do {
            let r = try DutyRule.parse(try JSONParser.parse(text))
            rule = r
            return r
        } catch {
            throw FTAError.environment("duty_rule_snap \(id): stored snapshot no longer parses: \(error)")
        }
    }
}

extension DutySnapshot {
    /// The text stored for this snapshot: the rule with its generator state, or the text as read.
    package var storedText: String { rule?.json(withState: true).jsonText ?? text }
}

/// One `duty_plan` row to insert.
package struct DutyPlanRow: Sendable, Equatable {
    package var order: Int
    package var userIndex: Int
    package var startTime: String
    package var finishedTime: String
    /// JSON texts.
    package var users: String
    package var workTimes: String

    /// Plan rows for generated shifts (docs/original-system.md §8.3): start = the first work time,
    /// not before the rule's effective time nor `notBefore`; finish = the last work time's
    /// minute, not after the rule's or the snapshot's end. Shifts that end before they start
    /// are left out.
    package static func rows(rule: DutyRule, shifts: [DutyShift], notBefore: String, snapEnd: String) -> [DutyPlanRow] {
        let ends = [rule.endTime, snapEnd].filter { !$0.isEmpty }
        // Shifts with the same arrangement and index have the same people.
        var usersText: [Int: String] = [:]
        var rows: [DutyPlanRow] = []
        rows.reserveCapacity(shifts.count)
        for s in shifts where !s.workTimes.isEmpty {
            var start = s.workTimes.map(\.start).min()!.minuteText + ":00"
            start = max(start, rule.effectiveTime, notBefore)
            var finish = s.workTimes.map(\.end).max()!.minuteText + ":59"
            for e in ends { finish = min(finish, e) }
            guard start < finish else { continue }
            var work = "["
            work.reserveCapacity(s.workTimes.count * 56 + 2)
            for (i, w) in s.workTimes.enumerated() {
                if i > 0 { work += "," }
                work += "{\"end_time\":\"" + w.end.minuteText + "\",\"start_time\":\"" + w.start.minuteText + "\"}"
            }
            work += "]"
            let key = s.order << 32 | s.userIndex
            let users = usersText[key] ?? JSONValue.array(s.users).jsonText
            usersText[key] = users
            rows.append(DutyPlanRow(order: s.order, userIndex: s.userIndex, startTime: start, finishedTime: finish, users: users, workTimes: work))
        }
        return rows
    }
}
