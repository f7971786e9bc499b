import Dispatch
import FTACore

/// One `fta-rota` pass (original-system.md §8.2): for every duty group, keep one snapshot per rule (the
/// generator's state), re-plan a changed rule from `max(effective_time, now)`, cancel the plans
/// of disabled and removed rules, and write 30-day batches of plans once the next batch starts
/// within 7 days. "Now" is the group's own wall clock (its `timezone`).
///
/// The whole pass is one write transaction: two overlapping passes run one after the other, and
/// the second finds nothing left to do. Fixes to the original's lifecycle are listed in
/// docs/rota.md.
package struct RotaPass {
    package struct Summary: Sendable, Equatable, PassSummary {
        package var groups = 0
        package var snapshotsCreated = 0
        package var rulesChanged = 0
        package var batches = 0
        package var plansWritten = 0
        package var plansCancelled = 0
        package var plansCut = 0
        /// Rule ids groups refer to that are not stored.
        package var missingRules: [String] = []
        package var badZones: [String] = []
        /// Wall time of the pass.
        package var seconds: Double = 0

        package static func == (a: Summary, b: Summary) -> Bool {
            // The figures that describe the plans; the wall time differs between any two runs.
            [a.groups, a.snapshotsCreated, a.rulesChanged, a.batches, a.plansWritten, a.plansCancelled, a.plansCut]
                == [b.groups, b.snapshotsCreated, b.rulesChanged, b.batches, b.plansWritten, b.plansCancelled, b.plansCut]
                && a.missingRules == b.missingRules && a.badZones == b.badZones
        }

        package var figures: [Figure] {
            [
                .count("groups", groups, metric: "fta_rota_groups", help: "Duty groups planned by the last pass."),
                .count("snapshots_created", snapshotsCreated),
                .count("rules_changed", rulesChanged, metric: "fta_rota_rules_changed", help: "Rules re-planned by the last pass."),
                .count("batches", batches),
                .count("plans_written", plansWritten, metric: "fta_rota_plans_written", help: "Plans written by the last pass."),
                .count("plans_cancelled", plansCancelled, metric: "fta_rota_plans_cancelled", help: "Plans cancelled by the last pass (changed, disabled or removed rules)."),
                .count("plans_cut", plansCut),
                .count("problems", missingRules.count + badZones.count, metric: "fta_rota_problems", help: "Groups naming a missing rule or an unknown time zone."),
                .list("missing_rules", missingRules), .list("bad_timezones", badZones),
                .seconds("seconds", seconds, metric: "fta_rota_duration_seconds", help: "Wall time of the last pass."),
            ]
        }
    }

    /// Days a batch covers, and how close its start must be before it is written.
    package static let batchDays: Int64 = 30
    package static let leadDays: Int64 = 7

    let store: any DutyStore

    package init(store: any DutyStore) { self.store = store }

    package func run(directory: UserDirectory, at instant: Int64) throws -> Summary {
        let started = DispatchTime.now().uptimeNanoseconds
        var summary = try store.planDuty { store in
            var summary = Summary()
            var rules = RuleCache(rows: try store.ruleRows())
            let dutyGroups = directory.groups.values.filter(\.needDuty).sorted { $0.id < $1.id }
            // Groups that are gone or no longer on duty keep no snapshots and no effective plans.
            summary.plansCancelled += try store.dropGroups(except: dutyGroups.map(\.id))
            // Which rules each group has effective plans of (to cancel those of removed rules).
            let planned = try store.plannedRules()
            var zones: [String: ZoneClock?] = [:]
            for group in dutyGroups {
                if zones[group.timezone] == nil { zones[group.timezone] = .some(ZoneClock(identifier: group.timezone)) }
                guard let clock = zones[group.timezone] ?? nil else {
                    summary.badZones.append("\(group.id): \(group.timezone)")
                    continue
                }
                summary.groups += 1
                try manage(store, group: group, rules: &rules, planned: planned[group.id] ?? [], now: clock.wall(at: instant), at: instant, summary: &summary)
            }
            return summary
        }
        summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return summary
    }

    /// Stored rules by id; a rule's JSON is parsed only when a snapshot is made from it.
    struct RuleCache {
        var rows: [Int64: (hash: String, enabled: Bool, text: String)]
        var parsed: [Int64: DutyRule] = [:]

        mutating func rule(_ id: Int64) throws -> DutyRule {
            if let r = parsed[id] { return r }
            guard let row = rows[id] else { throw FTAError.environment("duty_rule \(id) is gone") }
            do {
                let r = try DutyRule.parse(try JSONParser.parse(row.text))
                parsed[id] = r
                return r
            } catch {
                throw FTAError.environment("duty_rule \(id): stored rule no longer parses: \(error)")
            }
        }
    }

    func manage(_ store: any DutyPlanningSession, group: UserGroup, rules: inout RuleCache, planned: Set<Int64>, now: WallTime, at instant: Int64,
                summary: inout Summary) throws {
        let t = now.text
        var snaps = try store.snapshots(group: group.id)
        var listed: [Int64] = []
        for r in group.dutyRules where !listed.contains(r) { listed.append(r) }
        var live = Set<Int64>()
        for rid in listed {
            guard let row = rules.rows[rid] else {
                summary.missingRules.append("\(group.id): \(rid)")
                continue
            }
            guard row.enabled else { continue }
            live.insert(rid)
            let existing = snaps[rid] ?? []
            if existing.isEmpty {
                snaps[rid] = [try create(store, group: group, rule: try rules.rule(rid), hash: row.hash, now: now, at: instant, summary: &summary)]
            } else if !existing.contains(where: { $0.hash == row.hash }) {
                let rule = try rules.rule(rid)
                summary.rulesChanged += 1
                let start = max(rule.effectiveTime, t)
                let (cancelled, cut) = try store.cancelAndCut(group: group.id, rule: rid, at: start)
                summary.plansCancelled += cancelled
                summary.plansCut += cut
                var kept: [DutySnapshot] = []
                for var old in existing {
                    if !old.end.isEmpty, old.end <= start {
                        kept.append(old)
                    } else if old.completed || old.next >= start {
                        try store.deleteSnapshot(id: old.id)
                    } else {
                        old.end = start
                        try store.endSnapshot(id: old.id, at: start)
                        kept.append(old)
                    }
                }
                kept.append(try create(store, group: group, rule: rule, hash: row.hash, now: now, at: instant, summary: &summary))
                snaps[rid] = kept
            }
        }
        // Disabled, missing and removed rules: no snapshot, no effective plan.
        for rid in Set(snaps.keys).subtracting(live).union(planned.subtracting(live)) {
            snaps[rid] = nil
            summary.plansCancelled += try store.dropRule(group: group.id, rule: rid)
        }

        // Batches whose start is within the lead time (catching up after downtime).
        let horizon = now.adding(days: RotaPass.leadDays).text
        for rid in listed where live.contains(rid) {
            for var snap in snaps[rid] ?? [] where snap.id == 0 || (!snap.completed && snap.next <= horizon) {
                var current = try snap.parsedRule()
                var rounds = 0
                while !snap.completed, snap.next <= horizon, rounds < 1000 {
                    rounds += 1
                    var generator = DutyGenerator(rule: current, begin: snap.next, days: Int(RotaPass.batchDays), snapEnd: snap.end)
                    let shifts = generator.plans()
                    let rows = DutyPlanRow.rows(rule: current, shifts: shifts, notBefore: snap.first, snapEnd: snap.end)
                    summary.plansWritten += try store.insertPlans(rows, group: group.id, rule: current.id, created: instant)
                    summary.batches += 1
                    current = generator.rule
                    snap.rule = current
                    snap.next = generator.end.text
                    // A finished snapshot is kept (marked completed) so the next pass does not
                    // take the rule for a new one and plan its remaining days again.
                    if !snap.end.isEmpty, snap.next >= snap.end { snap.completed = true }
                }
                try store.saveSnapshot(snap, group: group.id)
            }
        }
    }

    /// A new snapshot for `rule`. A handoff rule that took effect before now is replayed from its
    /// effective time so the rotation does not depend on when the group was set up; the shifts of
    /// that replay still running now are kept (the original threw them away, leaving nobody on
    /// duty until the next handoff).
    func create(_ store: any DutyPlanningSession, group: UserGroup, rule: DutyRule, hash: String, now: WallTime, at instant: Int64,
                summary: inout Summary) throws -> DutySnapshot {
        let t = now.text
        var state = rule.withoutState
        let first = max(rule.effectiveTime, t)
        var next = first
        if rule.isHandoff, t > rule.effectiveTime {
            var replay = DutyGenerator(rule: state, end: t)
            replay.emitFrom = now.day - 1
            let shifts = replay.plans()
            state = replay.rule
            next = t
            let running = shifts.filter { s in s.workTimes.contains { $0.exclusiveEnd > now } }
            let rows = DutyPlanRow.rows(rule: rule, shifts: running, notBefore: first, snapEnd: rule.endTime)
            summary.plansWritten += try store.insertPlans(rows, group: group.id, rule: rule.id, created: instant)
        }
        summary.snapshotsCreated += 1
        // Stored (id 0 until then) once its first batches are planned, with the state they leave.
        return DutySnapshot(id: 0, ruleId: rule.id, hash: hash, rule: state, text: "", first: first, next: next, end: rule.endTime, completed: false)
    }
}
