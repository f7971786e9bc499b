import Foundation
@testable import FTACore
@testable import FTAPasses
@testable import FTAStore
import FTATestSupport
import GRDB
import XCTest

/// The snapshot lifecycle (original-system.md §8.2) against a real SQLite file: the original's
/// TestDutyPlan / TestEffectiveTime / test_end_time scenarios, with fta's fixes, and `who`
/// across handoffs and daylight-saving changes.
final class RotaPassTests: TemporaryDirectoryCase {
    var duty: SQLiteStore!
    var database: FTADatabase { duty.database }

    override func setUpWithError() throws {
        try super.setUpWithError()
        duty = try SQLiteStore(path: dir.file("rota.db"))
    }

    // MARK: helpers

    func rule(id: Int64, _ body: String) throws -> DutyRule {
        try DutyRule.parse(try JSONParser.parse(#"{"id": \#(id), "name": "r\#(id)", "enabled": true, \#(body)}"#))
    }

    /// Two days per shift, two of six people per shift (the original's `duty_rule_data`).
    func everyTwoDays(effective: String = "2023-11-01 00:00:00") throws -> DutyRule {
        try rule(id: 1, """
            "category": "handoff", "effective_time": "\(effective)", "end_time": "",
            "duty_arranges": [{"duty_time": [{"work_type": "daily", "work_days": [], "work_time_type": "time_range", "work_time": ["00:00--23:59"],
                                              "period_settings": {"window_unit": "day", "duration": 2}}],
                               "duty_users": [[{"id": "admin", "type": "user"}, {"id": "admin1", "type": "user"}, {"id": "admin2", "type": "user"},
                                               {"id": "admin3", "type": "user"}, {"id": "admin4", "type": "user"}, {"id": "admin5", "type": "user"}]],
                               "group_type": "auto", "group_number": 2}]
            """)
    }

    /// One person a day in turn (the original's `duty_group_data`, 4 people; `users` people).
    func daily(id: Int64 = 1, effective: String, end: String = "", users: [String] = ["admin", "admin1", "admin2", "admin3"], time: String = "00:00--23:59") throws -> DutyRule {
        let groups = users.map { #"[{"id": "\#($0)", "type": "user"}]"# }.joined(separator: ",")
        return try rule(id: id, """
            "category": "handoff", "effective_time": "\(effective)", "end_time": "\(end)",
            "duty_arranges": [{"duty_time": [{"work_type": "daily", "work_days": [], "work_time_type": "time_range", "work_time": ["\(time)"]}],
                               "duty_users": [\(groups)], "group_type": "specified", "group_number": 0}]
            """)
    }

    func group(_ id: String = "ops", rules: [Int64], zone: String = "Asia/Shanghai", hitFirst: Bool = true) -> UserGroup {
        UserGroup(id: id, dutyRules: rules, timezone: zone, dutyNotice: ["hit_first_duty": .bool(hitFirst)])
    }

    func setUp(_ rules: [DutyRule], _ groups: [UserGroup]) throws -> UserDirectory {
        try duty.saveDutyRules(rules, now: 0)
        var d = UserDirectory()
        for g in groups { d.groups[g.id] = g }
        _ = try duty.saveDirectory(d, replace: false, now: 0)
        return try duty.loadDirectory()
    }

    /// The instant of a wall-clock time in a zone.
    func at(_ wall: String, _ zone: String = "Asia/Shanghai") -> Int64 { ZoneClock(identifier: zone)!.instant(of: WallTime.parse(wall)!) }

    @discardableResult
    func pass(_ directory: UserDirectory, _ wall: String, _ zone: String = "Asia/Shanghai") throws -> RotaPass.Summary {
        try RotaPass(store: duty).run(directory: directory, at: at(wall, zone))
    }

    func count(_ sql: String) throws -> Int { try database.read { try Int.fetchOne($0, sql: sql) ?? 0 } }
    func effective() throws -> [DutyPlan] {
        try duty.dutyPlans(group: "ops", from: WallTime.parse("2000-01-01")!, to: WallTime.parse("2100-01-01")!, includeCancelled: false)
    }

    func whoIds(_ directory: UserDirectory, _ wall: String, _ zone: String = "Asia/Shanghai", group id: String = "ops") throws -> [String] {
        try duty.who(group: directory.groups[id]!, at: at(wall, zone), clock: ZoneClock(identifier: zone)!).users.compactMap { $0["id"]?.stringValue }
    }

    // MARK: lifecycle

    func testFirstPassPlansThirtyDaysAndKeepsTheRunningShift() throws {
        let d = try setUp([try everyTwoDays()], [group(rules: [1])])
        let s = try pass(d, "2024-06-01 10:00:00")
        XCTAssertEqual(s.snapshotsCreated, 1)
        XCTAssertEqual(try count("SELECT count(*) FROM duty_rule_snap"), 1)
        // 15 two-day shifts from June 2 (the batch), plus the shift running on June 1, kept from
        // the replay since the effective time (the original throws it away: nobody on duty).
        let plans = try effective()
        XCTAssertEqual(plans.count, 16)
        XCTAssertEqual(plans.first?.startTime, "2024-06-01 10:00:00", "the running shift starts when the group got it")
        XCTAssertEqual(plans.last?.finishedTime, "2024-07-01 23:59:59")
        XCTAssertEqual(try database.read { try String.fetchOne($0, sql: "SELECT next_plan_time FROM duty_rule_snap") }, "2024-07-01 10:00:00")
        XCTAssertFalse(try whoIds(d, "2024-06-01 10:00:00").isEmpty)
        // The replay makes the rotation independent of when the group was set up: 2023-11-01 to
        // 2024-06-01 is 213 days, so June 1 is the second day of shift 107 (214 = 2 x 107), and
        // shift 107 (0-based 106) takes people 106*2 mod 6 = 2, 3.
        XCTAssertEqual(try whoIds(d, "2024-06-01 12:00:00"), ["admin2", "admin3"])
        XCTAssertEqual(try whoIds(d, "2024-06-02 12:00:00"), ["admin4", "admin5"])
    }

    func testPrimaryAndBackupArrangements_sixtyPlans_andASecondRuleGetsItsOwnSnapshot() throws {
        // test_generate_multi_duty_plan_task: four people a day in turn plus admin every day.
        let multi = try rule(id: 1, """
            "category": "handoff", "effective_time": "2023-11-01 00:00:00",
            "duty_arranges": [
              {"duty_time": [{"work_type": "daily", "work_time": ["00:00--23:59"], "period_settings": {}}],
               "duty_users": [[{"id": "admin1", "type": "user"}, {"id": "admin2", "type": "user"}, {"id": "admin3", "type": "user"}, {"id": "admin4", "type": "user"}]],
               "group_type": "auto", "group_number": 1},
              {"duty_time": [{"work_type": "daily", "work_time": ["00:00--23:59"], "period_settings": {}}], "duty_users": [[{"id": "admin", "type": "user"}]]}]
            """)
        var d = try setUp([multi], [group(rules: [1])])
        try pass(d, "2024-06-01 10:00:00")
        XCTAssertEqual(try effective().count, 60, "30 days x 2 arrangements")
        XCTAssertEqual(try whoIds(d, "2024-06-01 11:00:00", group: "ops").sorted(), ["admin", "admin2"], "both arrangements are on duty")
        d = try setUp([try daily(id: 2, effective: "2024-01-01 00:00:00")], [group(rules: [1, 2])])
        try pass(d, "2024-06-01 10:10:00")
        XCTAssertEqual(try count("SELECT count(*) FROM duty_rule_snap"), 2)
        XCTAssertEqual(try count("SELECT count(*) FROM duty_plan WHERE duty_rule_id = 1"), 60, "rule 1 untouched")
    }

    func testWeeklyRotationAttachedMidWeekHasSomeoneOnDutyThisWeek() throws {
        // The original replays to yesterday, stretches to the end of the week, and throws the
        // week away: nobody until Monday. fta keeps the running week.
        let weekly = try rule(id: 1, """
            "category": "handoff", "effective_time": "2026-01-05 00:00:00",
            "duty_arranges": [{"duty_time": [{"work_type": "weekly", "work_days": [1, 2, 3, 4, 5, 6, 7], "work_time": ["00:00--23:59"]}],
                               "duty_users": [[{"id": "a", "type": "user"}], [{"id": "b", "type": "user"}], [{"id": "c", "type": "user"}]]}]
            """)
        let d = try setUp([weekly], [group(rules: [1])])
        try pass(d, "2026-03-04 10:00:00")
        // Week of March 2 is week 8 since January 5: 8 mod 3 = 2.
        XCTAssertEqual(try whoIds(d, "2026-03-04 10:00:00"), ["c"])
        XCTAssertEqual(try whoIds(d, "2026-03-08 23:59:00"), ["c"])
        XCTAssertEqual(try whoIds(d, "2026-03-09 00:00:00"), ["a"])
        XCTAssertEqual(try whoIds(d, "2026-03-04 09:59:00"), [], "not before the group got the rule")
    }

    func testUnchangedRuleChangesNothing() throws {
        let d = try setUp([try everyTwoDays()], [group(rules: [1])])
        try pass(d, "2024-06-01 10:00:00")
        // Re-importing the same rule with a new name and labels keeps its hash.
        var renamed = try everyTwoDays()
        renamed.name = "renamed"
        renamed.raw["labels"] = .array([.string("x")])
        try duty.saveDutyRules([renamed], now: 1)
        let s = try pass(d, "2024-06-02 10:00:00")
        XCTAssertEqual(s.snapshotsCreated + s.rulesChanged + s.plansWritten + s.plansCancelled, 0)
        XCTAssertEqual(try effective().count, 16)
    }

    func testEffectiveTimeReplayPicksTheSamePersonWheneverTheGroupIsCreated() throws {
        // test_user_group_save: daily shifts of four people from 2024-02-22.
        for (created, expected) in [("2024-02-22 00:00:00", "admin"), ("2024-02-23 00:00:00", "admin1"),
                                    ("2024-06-23 00:00:00", "admin2"), ("2026-07-12 00:00:00", "admin3")] {
            try database.write { db in
                for t in ["duty_plan", "duty_rule_snap", "duty_rule", "user_group"] { try db.execute(sql: "DELETE FROM \(t)") }
            }
            let d = try setUp([try daily(effective: "2024-02-22 00:00:00")], [group(rules: [1])])
            try pass(d, created)
            let first = try effective().first
            XCTAssertEqual(first?.users.first?["id"]?.stringValue, expected, "group created \(created)")
            XCTAssertGreaterThan(try database.read { try String.fetchOne($0, sql: "SELECT next_plan_time FROM duty_rule_snap") } ?? "", created)
        }
    }

    func testRuleChangeToAFutureEffectiveTime() throws {
        // test_change_duty_rule: the rule takes a new effective time three days ahead.
        let d = try setUp([try everyTwoDays()], [group(rules: [1])])
        try pass(d, "2024-06-01 10:00:00")
        try duty.saveDutyRules([try everyTwoDays(effective: "2024-06-04 12:00:00")], now: 1)
        let s = try pass(d, "2024-06-01 10:05:00")
        XCTAssertEqual(s.rulesChanged, 1)
        XCTAssertEqual(s.plansCancelled, 13, "plans starting from June 6 are cancelled")
        XCTAssertEqual(s.plansCut, 1, "the June 4-5 shift ends at the new effective time")
        XCTAssertEqual(try count("SELECT count(*) FROM duty_rule_snap"), 1, "the old snapshot had planned past the change")
        let plans = try effective()
        // Kept: June 1, June 2-3, June 4 until 12:00; new: 15 shifts from June 4 12:00.
        XCTAssertEqual(plans.count, 18)
        XCTAssertEqual(plans.filter { $0.finishedTime <= "2024-06-04 12:00:00" }.count, 3)
        XCTAssertEqual(plans[3].startTime, "2024-06-04 12:00:00", "the new plans start at the new effective time")
        XCTAssertEqual(plans[2].finishedTime, "2024-06-04 12:00:00")
        XCTAssertEqual(try whoIds(d, "2024-06-04 11:59:00").count, 2)
        XCTAssertEqual(try whoIds(d, "2024-06-04 12:00:00"), ["admin", "admin1"], "the new rotation starts from its first group")
    }

    func testRuleChangeNowCutsTheRunningShift() throws {
        let d = try setUp([try daily(effective: "2024-01-01 00:00:00", users: ["a", "b", "c"], time: "09:00--09:00")], [group(rules: [1])])
        try pass(d, "2024-06-01 08:00:00")
        // 2024-01-01 to 2024-05-31 is 152 days: the June 1 shift is number 152, index 152 mod 3 = 2.
        XCTAssertEqual(try whoIds(d, "2024-06-01 08:00:00"), ["b"])
        XCTAssertEqual(try whoIds(d, "2024-06-01 10:00:00"), ["c"])
        // New people from now on (effective time unchanged, in the past).
        try duty.saveDutyRules([try daily(effective: "2024-01-01 00:00:00", users: ["x", "y", "z"], time: "09:00--09:00")], now: 1)
        let s = try pass(d, "2024-06-01 15:00:00")
        XCTAssertEqual(s.plansCut, 1)
        let cut = try effective().first { $0.users.first?["id"]?.stringValue == "c" }
        XCTAssertEqual(cut?.finishedTime, "2024-06-01 15:00:00")
        XCTAssertEqual(try whoIds(d, "2024-06-01 14:59:00"), ["c"])
        // From 15:00 the replayed rotation with the new people (same position: index 2).
        XCTAssertEqual(try whoIds(d, "2024-06-01 15:00:00"), ["z"])
        XCTAssertEqual(try whoIds(d, "2024-06-02 09:00:00"), ["x"])
        // Every minute around the change: exactly one person.
        var t = at("2024-06-01 14:00:00")
        while t < at("2024-06-02 10:00:00") {
            let r = try duty.who(group: d.groups["ops"]!, at: t, clock: ZoneClock(identifier: "Asia/Shanghai")!)
            XCTAssertEqual(r.users.count, 1, "at \(TimeParser.iso(t))")
            t += 60
        }
    }

    func testDisabledRuleCancelsItsPlans() throws {
        let d = try setUp([try everyTwoDays()], [group(rules: [1])])
        try pass(d, "2024-06-01 10:00:00")
        var off = try everyTwoDays()
        off.enabled = false
        try duty.saveDutyRules([off], now: 1)
        let s = try pass(d, "2024-06-01 11:00:00")
        XCTAssertEqual(s.plansCancelled, 16)
        XCTAssertEqual(try count("SELECT count(*) FROM duty_rule_snap"), 0)
        XCTAssertEqual(try count("SELECT count(*) FROM duty_plan WHERE is_effective = 0"), 16)
        XCTAssertTrue(try whoIds(d, "2024-06-01 12:00:00").isEmpty)
    }

    func testRuleRemovedFromTheGroupCancelsItsPlans() throws {
        let d = try setUp([try everyTwoDays(), try daily(id: 2, effective: "2024-01-01 00:00:00")], [group(rules: [1, 2])])
        try pass(d, "2024-06-01 10:00:00")
        let d2 = try setUp([], [group(rules: [2])])
        try pass(d2, "2024-06-01 11:00:00")
        XCTAssertEqual(try count("SELECT count(*) FROM duty_plan WHERE is_effective = 1 AND duty_rule_id = 1"), 0)
        XCTAssertEqual(try count("SELECT count(*) FROM duty_rule_snap WHERE duty_rule_id = 1"), 0)
        XCTAssertGreaterThan(try count("SELECT count(*) FROM duty_plan WHERE is_effective = 1 AND duty_rule_id = 2"), 0)
    }

    func testCompletedSnapshotIsNotPlannedAgain() throws {
        // test_snap_deletion_after_schedule_completion, "complete": the rule ends within the batch.
        let d = try setUp([try daily(effective: "2024-06-01 00:00:00", end: "2024-06-15 00:00:00")], [group(rules: [1])])
        try pass(d, "2024-06-01 00:00:00")
        XCTAssertEqual(try effective().count, 14)
        XCTAssertEqual(try count("SELECT completed FROM duty_rule_snap"), 1)
        // The original deletes the finished snapshot and, every minute after, creates a new one
        // that plans the remaining days again.
        for wall in ["2024-06-01 00:01:00", "2024-06-02 00:00:00", "2024-06-10 00:00:00"] {
            let s = try pass(d, wall)
            XCTAssertEqual(s.plansWritten, 0, wall)
        }
        XCTAssertEqual(try count("SELECT count(*) FROM duty_plan"), 14)
    }

    func testRuleEndCutsTheLastShift() throws {
        // test_rule_end: an end at 10:00 on June 30 still has 30 daily plans; the last ends at 10:00.
        let d = try setUp([try daily(effective: "2024-06-01 00:00:00", end: "2024-06-30 10:00:00")], [group(rules: [1])])
        try pass(d, "2024-06-01 00:00:00")
        let plans = try effective()
        XCTAssertEqual(plans.count, 30)
        XCTAssertEqual(plans.last?.finishedTime, "2024-06-30 10:00:00")
        XCTAssertEqual(try whoIds(d, "2024-06-30 09:59:00").count, 1)
        XCTAssertEqual(try whoIds(d, "2024-06-30 10:00:00").count, 0)
    }

    func testOldSnapshotPlansUpToTheNewEffectiveTime() throws {
        // test_snap_end: the rule moves its effective time to July 15; the old snapshot still
        // plans July 1-14 when its next batch comes.
        let d = try setUp([try daily(effective: "2024-06-01 00:00:00")], [group(rules: [1])])
        try pass(d, "2024-06-01 00:00:00")
        XCTAssertEqual(try effective().count, 30)
        try duty.saveDutyRules([try daily(effective: "2024-07-15 00:00:00")], now: 1)
        try pass(d, "2024-06-01 00:00:00")
        XCTAssertEqual(try database.read { try String.fetchOne($0, sql: "SELECT end_time FROM duty_rule_snap ORDER BY id LIMIT 1") }, "2024-07-15 00:00:00")
        try pass(d, "2024-07-01 00:00:00")
        XCTAssertEqual(try effective().filter { $0.startTime < "2024-07-15" }.count, 30 + 14)
        XCTAssertEqual(try effective().filter { $0.startTime < "2024-07-15" }.last?.startTime, "2024-07-14 00:00:00")
    }

    func testOverlappingPassesCreateOneSnapshot() throws {
        let d = try setUp([try everyTwoDays()], (0..<20).map { group("g\($0)", rules: [1]) })
        let instant = at("2024-06-01 10:00:00")
        let waiters = DispatchGroup()
        let errors = LockedCount()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: waiters) {
                do {
                    // Each pass opens the database on its own, as two cron runs would.
                    let store = try SQLiteStore(path: self.dir.file("rota.db"))
                    _ = try RotaPass(store: store).run(directory: d, at: instant)
                } catch { errors.add() }
            }
        }
        waiters.wait()
        XCTAssertEqual(errors.value, 0)
        XCTAssertEqual(try count("SELECT count(*) FROM duty_rule_snap"), 20)
        XCTAssertEqual(try count("SELECT count(*) FROM duty_plan"), 20 * 16)
    }

    // MARK: who

    func testHitFirstDutyAndUnion() throws {
        let primary = try daily(id: 1, effective: "2024-01-01 00:00:00", users: ["p1", "p2"], time: "09:00--18:00")
        let backup = try daily(id: 2, effective: "2024-01-01 00:00:00", users: ["b1"], time: "00:00--23:59")
        let d = try setUp([primary, backup], [group(rules: [1, 2]), group("all", rules: [1, 2], hitFirst: false)])
        try pass(d, "2024-06-01 08:00:00")
        XCTAssertEqual(try whoIds(d, "2024-06-01 10:00:00"), ["p1"], "the first rule with an active plan decides")
        XCTAssertEqual(try whoIds(d, "2024-06-01 20:00:00"), ["b1"], "outside the primary's hours the next rule")
        XCTAssertEqual(try whoIds(d, "2024-06-01 10:00:00", group: "all"), ["p1", "b1"], "hit_first_duty false: every rule")
    }

    func testWhoAcrossAHandoffHasNoGapAndNoOverlap() throws {
        let d = try setUp([try daily(effective: "2024-01-01 00:00:00", users: ["a", "b", "c"], time: "09:00--09:00")], [group(rules: [1])])
        try pass(d, "2024-06-01 00:00:00")
        XCTAssertEqual(try whoIds(d, "2024-06-02 08:59:59"), ["c"])
        XCTAssertEqual(try whoIds(d, "2024-06-02 09:00:00"), ["a"])
        var t = at("2024-06-02 00:00:00")
        while t < at("2024-06-05 00:00:00") {
            XCTAssertEqual(try duty.who(group: d.groups["ops"]!, at: t, clock: ZoneClock(identifier: "Asia/Shanghai")!).users.count, 1)
            t += 300
        }
    }

    func testWhoAcrossDaylightSavingChangesInBerlin() throws {
        // Handoff at 02:30 every day: on 2026-03-29 02:30 does not exist in Berlin (clocks go
        // from 02:00 to 03:00), on 2026-10-25 it happens twice. Day shift 09:00--17:00 beside it.
        let night = try daily(id: 1, effective: "2026-03-01 00:00:00", users: ["a", "b", "c"], time: "02:30--02:30")
        let day = try daily(id: 2, effective: "2026-03-01 00:00:00", users: ["d"], time: "09:00--17:00")
        let d = try setUp([night, day], [group(rules: [1], zone: "Europe/Berlin"), group("day", rules: [2], zone: "Europe/Berlin")])
        let berlin = ZoneClock(identifier: "Europe/Berlin")!
        for (start, end) in [("2026-03-27T00:00:00Z", "2026-04-01T00:00:00Z"), ("2026-10-23T00:00:00Z", "2026-10-28T00:00:00Z")] {
            let t0 = TimeParser.parse(start)!, t1 = TimeParser.parse(end)!
            try RotaPass(store: duty).run(directory: d, at: t0 - 86_400)
            var t = t0
            var handoffs: [Int64] = []
            var last: [String] = []
            while t < t1 {
                let now = try duty.who(group: d.groups["ops"]!, at: t, clock: berlin).users.compactMap { $0["id"]?.stringValue }
                XCTAssertEqual(now.count, 1, "one person on duty at \(TimeParser.iso(t))")
                if now != last, !last.isEmpty { handoffs.append(t) }
                last = now
                t += 300
            }
            // One handoff a day, each at 02:30 wall clock; on the spring-forward day the missing
            // 02:30 is read with the winter offset (RFC 5545): 01:30Z, i.e. 03:30 summer time.
            XCTAssertEqual(handoffs.map { berlin.wall(at: $0).minuteText.suffix(5) }.filter { $0 != "02:30" },
                           start.hasPrefix("2026-03") ? ["03:30"] : [], "handoffs: \(handoffs.map(TimeParser.iso))")
            XCTAssertEqual(handoffs.count, 5)
        }
        XCTAssertEqual(berlin.instant(of: WallTime.parse("2026-03-29 02:30")!), TimeParser.parse("2026-03-29T01:30:00Z"))
        XCTAssertEqual(berlin.instant(of: WallTime.parse("2026-10-25 02:30")!), TimeParser.parse("2026-10-25T00:30:00Z"), "the first 02:30")
        // The day shift keeps its wall-clock hours on both sides of the change.
        try RotaPass(store: duty).run(directory: d, at: TimeParser.parse("2026-03-27T00:00:00Z")!)
        for (instant, on) in [("2026-03-28T07:59:00Z", false), ("2026-03-28T08:00:00Z", true),
                              ("2026-03-28T15:59:00Z", true), ("2026-03-28T16:00:00Z", false),
                              ("2026-03-30T06:59:00Z", false), ("2026-03-30T07:00:00Z", true), ("2026-03-30T15:00:00Z", false)] {
            let users = try duty.who(group: d.groups["day"]!, at: TimeParser.parse(instant)!, clock: berlin).users
            XCTAssertEqual(!users.isEmpty, on, instant)
        }
    }
}

final class LockedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
