@testable import FTACore
import XCTest

/// The plan generator against the original's own scenarios (its duty/test_duty_plan.py,
/// TestDutyPreview), with the expected plans written out from original-system.md §8.3, and the edge cases
/// the spec names: month ends, leap days, cross-midnight shifts, auto groups larger than the
/// user list, interleaved duty times, and the defects fta fixes.
final class RotaGeneratorTests: XCTestCase {
    // MARK: helpers

    func rule(_ category: String, effective: String, end: String = "", arranges: String, enabled: Bool = true) throws -> DutyRule {
        let text = """
            {"name": "t", "bk_biz_id": 2, "effective_time": "\(effective)", "end_time": "\(end)", "labels": ["mysql"],
             "enabled": \(enabled), "category": "\(category)", "duty_arranges": \(arranges)}
            """
        return try DutyRule.parse(try JSONParser.parse(text), requireId: false)
    }

    func plans(_ r: DutyRule, begin: String? = nil, days: Int = 0) -> [DutyShift] {
        var g = DutyGenerator(rule: r, begin: begin, days: days)
        return g.plans()
    }

    func ids(_ s: DutyShift) -> [String] { s.users.compactMap { $0["id"]?.stringValue } }
    func times(_ s: DutyShift) -> [String] { s.workTimes.map { "\($0.start.minuteText)/\($0.end.minuteText)" } }

    static let maintainer = #"[[{"id": "bk_biz_maintainer", "display_name": "运维人员", "logo": "", "type": "group", "members": []}]]"#
    static let six = (0..<6).map { $0 == 0 ? #"{"id": "admin", "type": "user"}"# : #"{"id": "admin\#($0)", "type": "user"}"# }
    static let threeGroups = #"""
        [[{"id": "Alan", "type": "user"}, {"id": "Frances", "type": "user"}, {"id": "Lucile", "type": "user"}],
         [{"id": "Brian", "type": "user"}, {"id": "Danny", "type": "user"}, {"id": "Alice", "type": "user"}],
         [{"id": "Brian", "type": "user"}, {"id": "Danny", "type": "user"}, {"id": "Alice", "type": "user"}]]
        """#

    func people(_ n: Int) -> String { "[[" + RotaGeneratorTests.six.prefix(n).joined(separator: ",") + "]]" }

    // MARK: regular rules (test_regular_*)

    func testRegularDaily() throws {
        var r = try rule("regular", effective: "2023-07-25 11:00:00", arranges: """
            [{"duty_time": [{"work_type": "daily", "work_days": [], "work_time": ["00:00--23:59"]}], "duty_users": \(Self.maintainer), "backups": []}]
            """)
        let p = plans(r, days: 2)
        XCTAssertEqual(p.count, 1)
        XCTAssertEqual(times(p[0]), ["2023-07-25 00:00/2023-07-25 23:59", "2023-07-26 00:00/2023-07-26 23:59"])
        // The user object goes through with every key it had.
        XCTAssertEqual(p[0].users.first?["display_name"], .string("运维人员"))
        XCTAssertEqual(p[0].users.first?["members"], .array([]))
        r.enabled = false
        XCTAssertEqual(plans(r, days: 2).count, 0)
    }

    func testRegularDailyCrossMidnight() throws {
        let r = try rule("regular", effective: "2023-07-25 11:00:00", arranges: """
            [{"duty_time": [{"work_type": "daily", "work_days": [], "work_time": ["22:00--06:00"]}], "duty_users": \(Self.maintainer)}]
            """)
        XCTAssertEqual(times(plans(r, days: 2)[0]), ["2023-07-25 22:00/2023-07-26 06:00", "2023-07-26 22:00/2023-07-27 06:00"])
    }

    func testRegularWeeklyMonthlyAndDateRange() throws {
        let weekly = try rule("regular", effective: "2023-07-23 11:00:00", arranges: """
            [{"duty_time": [{"work_type": "weekly", "work_days": [1, 2, 3, 4, 5], "work_time": ["00:00--23:59"]}], "duty_users": \(Self.maintainer)}]
            """)
        XCTAssertEqual(times(plans(weekly, days: 7)[0]).map { String($0.prefix(10)) }, ["2023-07-24", "2023-07-25", "2023-07-26", "2023-07-27", "2023-07-28"])
        let monthly = try rule("regular", effective: "2023-07-25 11:00:00", arranges: """
            [{"duty_time": [{"work_type": "monthly", "work_days": [25, 28], "work_time": ["00:00--23:59"]}], "duty_users": [[{"id": "bk_biz_maintainer", "type": "group"}]]}]
            """)
        XCTAssertEqual(times(plans(monthly, days: 7)[0]), ["2023-07-25 00:00/2023-07-25 23:59", "2023-07-28 00:00/2023-07-28 23:59"])
        let range = try rule("regular", effective: "2023-07-25 11:00:00", arranges: """
            [{"duty_time": [{"work_type": "date_range", "work_date_range": ["2023-07-26--2023-07-29"], "work_time": ["00:00--23:59"]}],
              "duty_users": [[{"id": "bk_biz_maintainer", "type": "group"}]]}]
            """)
        XCTAssertEqual(times(plans(range, days: 7)[0]).map { String($0.prefix(10)) }, ["2023-07-26", "2023-07-27", "2023-07-28", "2023-07-29"])
    }

    func testMultiRegularWeekendAndWorkdays() throws {
        let r = try rule("regular", effective: "2023-07-23 11:00:00", arranges: """
            [{"duty_time": [{"work_type": "weekend", "work_days": [6, 7], "work_time": ["00:00--23:59"]}], "duty_users": [[{"id": "bk_biz_maintainer", "type": "group"}]]},
             {"duty_time": [{"work_type": "work_day", "work_days": [1, 2, 3, 4, 5], "work_time": ["00:00--23:59"]}], "duty_users": [[{"id": "bk_biz_developer", "type": "group"}]]}]
            """)
        let p = plans(r, days: 7)
        XCTAssertEqual(p.count, 2)
        // 2023-07-23 is a Sunday: the window 07-23..07-29 has Sun and Sat.
        XCTAssertEqual(times(p[0]).map { String($0.prefix(10)) }, ["2023-07-23", "2023-07-29"])
        XCTAssertEqual(p[0].order, 0)
        XCTAssertEqual(p[1].workTimes.count, 5)
        XCTAssertEqual(p[1].userIndex, 1)
    }

    // MARK: handoff rules (test_weekly_*, test_monthly_*)

    func testWeeklyHandoffOnThursdays() throws {
        let r = try rule("rotation", effective: "2023-11-08 00:00:00", arranges: """
            [{"duty_time": [{"work_type": "weekly", "work_days": [4, 5, 1, 3], "work_time_type": "time_range", "work_time": ["10:00--23:00"], "period_settings": {}}],
              "duty_users": \(Self.threeGroups), "group_type": "specified", "group_number": 0}]
            """)
        let p = plans(r, days: 21)
        XCTAssertEqual(p.map(\.workTimes.count), [1, 4, 4, 4])
        XCTAssertEqual(p.map(\.userIndex), [0, 1, 2, 0])
        // Wednesday 11-08 alone, then Thursday to Wednesday.
        XCTAssertEqual(times(p[0]), ["2023-11-08 10:00/2023-11-08 23:00"])
        XCTAssertEqual(times(p[1]), ["2023-11-09 10:00/2023-11-09 23:00", "2023-11-10 10:00/2023-11-10 23:00",
                                     "2023-11-13 10:00/2023-11-13 23:00", "2023-11-15 10:00/2023-11-15 23:00"])
        XCTAssertEqual(ids(p[0]), ["Alan", "Frances", "Lucile"])
        // The window (to 11-28) is stretched to the end of the running period (Wednesday 11-29).
        XCTAssertEqual(times(p[3]).last, "2023-11-29 10:00/2023-11-29 23:00")
    }

    func testWeeklyHandoffWithEndAndTwoDutyTimes() throws {
        let r = try rule("rotation", effective: "2023-12-11 00:00:00", end: "2023-12-15 00:00:00", arranges: """
            [{"duty_time": [{"work_type": "weekly", "work_days": [1, 2, 3, 4, 5], "work_time_type": "time_range", "work_time": ["10:00--23:00"]},
                            {"work_type": "weekly", "work_days": [1, 2, 3, 4, 5], "work_time_type": "time_range", "work_time": ["00:00--10:00"]}],
              "duty_users": [[{"id": "Alan", "type": "user"}], [{"id": "Brian", "type": "user"}]], "group_type": "specified", "group_number": 0}]
            """)
        let p = plans(r, days: 21)
        // The end (12-15 00:00) leaves Monday to Thursday; the two halves are two shifts.
        XCTAssertEqual(p.map(\.userIndex), [0, 1])
        XCTAssertEqual(p.map(\.workTimes.count), [4, 4])
        XCTAssertEqual(times(p[0]).first, "2023-12-11 10:00/2023-12-11 23:00")
        XCTAssertEqual(times(p[1]).last, "2023-12-14 00:00/2023-12-14 10:00")
    }

    func testWeeklyDatetimeRange() throws {
        let r = try rule("rotation", effective: "2023-11-08 00:00:00", arranges: """
            [{"duty_time": [{"work_type": "weekly", "work_days": [], "work_time_type": "datetime_range", "work_time": ["04 10:00--03 08:00"], "period_settings": {}}],
              "duty_users": \(Self.threeGroups), "group_type": "specified", "group_number": 0}]
            """)
        let p = plans(r, days: 21)
        XCTAssertEqual(p.map(\.workTimes.count), [1, 7, 7, 7])
        XCTAssertEqual(p.map(\.userIndex), [0, 1, 2, 0])
        XCTAssertEqual(times(p[0]), ["2023-11-08 00:00/2023-11-08 08:00"])
        XCTAssertEqual(times(p[1]).first, "2023-11-09 10:00/2023-11-09 23:59")
        XCTAssertEqual(times(p[1])[1], "2023-11-10 00:00/2023-11-10 23:59")
        XCTAssertEqual(times(p[1]).last, "2023-11-15 00:00/2023-11-15 08:00")
    }

    func testWeeklyDatetimeRangeWholeWeekFromMonday8() throws {
        let r = try rule("rotation", effective: "2023-11-13 08:00:00", arranges: """
            [{"duty_time": [{"work_type": "weekly", "work_days": [], "work_time_type": "datetime_range", "work_time": ["01 08:00--01 08:00"], "period_settings": {}}],
              "duty_users": \(Self.threeGroups), "group_type": "specified", "group_number": 0}]
            """)
        let p = plans(r, days: 21)
        XCTAssertEqual(p.map(\.workTimes.count), [7, 7, 7])
        XCTAssertEqual(p.map(\.userIndex), [0, 1, 2])
        XCTAssertEqual(times(p[0]).last, "2023-11-19 00:00/2023-11-20 08:00")
        // Fixed: Monday runs from 08:00 to the end of the day and the days between are whole
        // days (the original gave every day an end on the next morning, overlapping).
        XCTAssertEqual(times(p[0]).first, "2023-11-13 08:00/2023-11-13 23:59")
        XCTAssertEqual(times(p[0])[1], "2023-11-14 00:00/2023-11-14 23:59")
        let covered = p.flatMap(\.workTimes)
        for (a, b) in zip(covered, covered.dropFirst()) { XCTAssertEqual(a.exclusiveEnd, b.start, "no gap and no overlap between \(a) and \(b)") }
    }

    func testMonthlyDatetimeRangeHalves() throws {
        let r = try rule("rotation", effective: "2023-12-01 00:00:00", arranges: """
            [{"duty_time": [{"work_type": "monthly", "work_days": [], "work_time_type": "datetime_range", "work_time": ["01 00:00--15 23:59"], "period_settings": {}},
                            {"work_type": "monthly", "work_days": [], "work_time_type": "datetime_range", "work_time": ["16 00:00--31 23:59"], "period_settings": {}}],
              "duty_users": \(Self.threeGroups), "group_type": "specified", "group_number": 0}]
            """)
        let p = plans(r, days: 60)
        XCTAssertEqual(p.map(\.workTimes.count), [15, 16, 15, 16])
        XCTAssertEqual(p.map(\.userIndex), [0, 1, 2, 0])
        XCTAssertEqual(times(p[1]).first, "2023-12-16 00:00/2023-12-16 23:59")
        XCTAssertEqual(times(p[1]).last, "2023-12-31 00:00/2023-12-31 23:59")
    }

    // MARK: period settings and auto groups (test_custom_*, test_*_auto_*)

    func testEveryTwoDaysTwoPeople() throws {
        let even = try rule("rotation", effective: "2023-07-25 11:00:00", arranges: """
            [{"duty_time": [{"work_type": "daily", "work_days": [], "work_time_type": "time_range", "work_time": ["00:00--23:59"], "period_settings": {"window_unit": "day", "duration": 2}}],
              "duty_users": \(people(6)), "group_type": "auto", "group_number": 2}]
            """)
        let p = plans(even, days: 6)
        XCTAssertEqual(p.map(ids), [["admin", "admin1"], ["admin2", "admin3"], ["admin4", "admin5"]])
        XCTAssertEqual(p.map(\.workTimes.count), [2, 2, 2])
        let odd = try rule("rotation", effective: "2023-07-25 11:00:00", arranges: """
            [{"duty_time": [{"work_type": "daily", "work_days": [], "work_time_type": "time_range", "work_time": ["00:00--23:59"], "period_settings": {"window_unit": "day", "duration": 2}}],
              "duty_users": \(people(5)), "group_type": "auto", "group_number": 2}]
            """)
        XCTAssertEqual(plans(odd, days: 6).map(ids), [["admin", "admin1"], ["admin2", "admin3"], ["admin4", "admin"]])
    }

    func testSpecifiedGroupsEveryTwoDaysAndContinuation() throws {
        var r = try rule("rotation", effective: "2023-07-25 11:00:00", arranges: """
            [{"duty_time": [{"work_type": "daily", "work_days": [], "work_time_type": "time_range", "work_time": ["00:00--23:59"], "period_settings": {"window_unit": "day", "duration": 2}}],
              "duty_users": [[{"id": "admin", "type": "user"}, {"id": "admin1", "type": "user"}, {"id": "admin2", "type": "user"}],
                             [{"id": "admin3", "type": "user"}, {"id": "admin4", "type": "user"}, {"id": "admin5", "type": "user"}]],
              "group_type": "", "group_number": 0}]
            """)
        XCTAssertEqual(plans(r, days: 4).map(ids), [["admin", "admin1", "admin2"], ["admin3", "admin4", "admin5"]])
        // Five days are stretched to six so the last shift is whole.
        var g = DutyGenerator(rule: r, days: 5)
        let p = g.plans()
        XCTAssertEqual(p.count, 3)
        XCTAssertEqual(p.last?.workTimes.count, 2)
        XCTAssertEqual(p.map(\.userIndex), [0, 1, 0])
        // The next window continues from the state: 07-31 was planned already, so 08-01.
        r = g.rule
        XCTAssertEqual(r.arranges[0].times[0].beginTime, "2023-07-31 11:00:00")
        XCTAssertEqual(r.arranges[0].lastUserIndex, 1)
        var next = DutyGenerator(rule: r, begin: "2023-07-30 00:00:00", days: 5)
        let q = next.plans()
        XCTAssertEqual(q.count, 2)
        XCTAssertEqual(q.map(\.userIndex), [1, 0])
        XCTAssertEqual(times(q[1]), ["2023-08-02 00:00/2023-08-02 23:59", "2023-08-03 00:00/2023-08-03 23:59"])
    }

    func testPrimaryAndBackupArrangements() throws {
        let r = try rule("rotation", effective: "2023-07-25 11:00:00", arranges: """
            [{"duty_time": [{"work_type": "daily", "work_days": [], "work_time_type": "time_range", "work_time": ["00:00--23:59"], "period_settings": {}}],
              "duty_users": [[{"id": "admin1", "type": "user"}, {"id": "admin2", "type": "user"}, {"id": "admin3", "type": "user"}, {"id": "admin4", "type": "user"}]],
              "group_type": "auto", "group_number": 1},
             {"duty_time": [{"work_type": "daily", "work_days": [], "work_time_type": "time_range", "work_time": ["00:00--23:59"], "period_settings": {}}],
              "duty_users": [[{"id": "admin", "type": "user"}]]}]
            """)
        let p = plans(r, days: 4)
        XCTAssertEqual(p.count, 8)
        XCTAssertEqual(p.prefix(4).map(ids), [["admin1"], ["admin2"], ["admin3"], ["admin4"]])
        XCTAssertEqual(p.suffix(4).map(ids), Array(repeating: ["admin"], count: 4))
        XCTAssertEqual(times(p[7]), ["2023-07-28 00:00/2023-07-28 23:59"])
        XCTAssertEqual(p.map(\.order), [0, 0, 0, 0, 1, 1, 1, 1])
    }

    func testDailyAutoGroupsWrapAround() throws {
        func daily(_ n: Int) throws -> DutyRule {
            try rule("rotation", effective: "2023-07-25 11:00:00", arranges: """
                [{"duty_time": [{"work_type": "daily", "work_days": [], "work_time_type": "time_range", "work_time": ["00:00--23:59"], "period_settings": {}}],
                  "duty_users": \(people(n)), "group_type": "auto", "group_number": 2}]
                """)
        }
        XCTAssertEqual(plans(try daily(6), days: 4).map(ids), [["admin", "admin1"], ["admin2", "admin3"], ["admin4", "admin5"], ["admin", "admin1"]])
        XCTAssertEqual(plans(try daily(5), days: 4).map(ids), [["admin", "admin1"], ["admin2", "admin3"], ["admin4", "admin"], ["admin1", "admin2"]])
    }

    func testWeekdayAndWeekendBlocksWithAutoGroups() throws {
        func weekly(_ n: Int, _ weekdayTime: String) throws -> DutyRule {
            try rule("rotation", effective: "2023-10-23 00:00:00", arranges: """
                [{"duty_time": [{"work_type": "weekly", "work_days": [1, 2, 3, 4, 5], "work_time_type": "time_range", "work_time": ["\(weekdayTime)"], "period_settings": {}},
                                {"work_type": "weekly", "work_days": [6, 7], "work_time_type": "time_range", "work_time": ["00:00--23:59"], "period_settings": {}}],
                  "duty_users": \(people(n)), "group_type": "auto", "group_number": 2}]
                """)
        }
        let odd = plans(try weekly(5, "00:00--23:59"), days: 14)
        XCTAssertEqual(odd.map(ids), [["admin", "admin1"], ["admin2", "admin3"], ["admin4", "admin"], ["admin1", "admin2"]])
        // Interleaved: week 1 weekdays, week 1 weekend, week 2 weekdays, week 2 weekend.
        XCTAssertEqual(odd.map { String(times($0)[0].prefix(10)) }, ["2023-10-23", "2023-10-28", "2023-10-30", "2023-11-04"])
        XCTAssertEqual(odd.map(\.workTimes.count), [5, 2, 5, 2])
        let even = plans(try weekly(6, "00:00--08:00"), days: 14)
        XCTAssertEqual(even.map(ids).last, ["admin", "admin1"])
    }

    // MARK: edge cases

    func testMonthlyRotationOnThe31stAcrossFebruary() throws {
        // Handoff on the 31st: February and April have none, so the shift that starts on
        // January 31 runs to March 30 (the original matches no day it cannot find; no clamping),
        // and the window (to April 29) is stretched to the end of the running period (May 30).
        let days = ([31] + Array(1...30)).map(String.init).joined(separator: ",")
        let r = try rule("handoff", effective: "2024-01-31 00:00:00", arranges: """
            [{"duty_time": [{"work_type": "monthly", "work_days": [\(days)], "work_time": ["09:00--18:00"]}],
              "duty_users": [[{"id": "a", "type": "user"}], [{"id": "b", "type": "user"}]]}]
            """)
        let p = plans(r, days: 90)
        XCTAssertEqual(p.map(ids), [["a"], ["b"]])
        XCTAssertEqual(times(p[0]).first, "2024-01-31 09:00/2024-01-31 18:00")
        XCTAssertEqual(times(p[0]).last, "2024-03-30 09:00/2024-03-30 18:00")
        XCTAssertTrue(times(p[0]).contains("2024-02-29 09:00/2024-02-29 18:00"), "leap day is an ordinary day")
        XCTAssertEqual(p[0].workTimes.count, 60)
        XCTAssertEqual(times(p[1]).first, "2024-03-31 09:00/2024-03-31 18:00")
        XCTAssertEqual(times(p[1]).last, "2024-05-30 09:00/2024-05-30 18:00")
    }

    func testLeapDay() throws {
        let monthly = """
            [{"duty_time": [{"work_type": "monthly", "work_days": [29], "work_time": ["00:00--23:59"]}], "duty_users": [[{"id": "a", "type": "user"}]]}]
            """
        XCTAssertEqual(times(plans(try rule("regular", effective: "2024-02-01 00:00:00", arranges: monthly), days: 29)[0]), ["2024-02-29 00:00/2024-02-29 23:59"])
        XCTAssertTrue(plans(try rule("regular", effective: "2023-02-01 00:00:00", arranges: monthly), days: 28).isEmpty, "2023 has no February 29")
        let daily = try rule("handoff", effective: "2024-02-28 00:00:00", arranges: """
            [{"duty_time": [{"work_type": "daily", "work_time": ["00:00--23:59"]}], "duty_users": [[{"id": "a", "type": "user"}], [{"id": "b", "type": "user"}]]}]
            """)
        XCTAssertEqual(plans(daily, days: 3).map { times($0)[0] }, ["2024-02-28 00:00/2024-02-28 23:59", "2024-02-29 00:00/2024-02-29 23:59", "2024-03-01 00:00/2024-03-01 23:59"])
    }

    func testCrossMidnightHandoff() throws {
        let r = try rule("handoff", effective: "2026-11-02 00:00:00", arranges: """
            [{"duty_time": [{"work_type": "daily", "work_time": ["21:00--09:00"]}], "duty_users": [[{"id": "a", "type": "user"}], [{"id": "b", "type": "user"}]]}]
            """)
        let p = plans(r, days: 3)
        XCTAssertEqual(p.map { times($0) }, [["2026-11-02 21:00/2026-11-03 09:00"], ["2026-11-03 21:00/2026-11-04 09:00"], ["2026-11-04 21:00/2026-11-05 09:00"]])
        XCTAssertEqual(p.map(ids), [["a"], ["b"], ["a"]])
    }

    func testAutoGroupLargerThanTheList() throws {
        let r = try rule("handoff", effective: "2026-11-02 00:00:00", arranges: """
            [{"duty_time": [{"work_type": "daily", "work_time": ["00:00--23:59"]}], "duty_users": \(people(3)), "group_type": "auto", "group_number": 5}]
            """)
        var g = DutyGenerator(rule: r, days: 3)
        let p = g.plans()
        XCTAssertEqual(p.map(ids), Array(repeating: ["admin", "admin1", "admin2"], count: 3), "everybody is on every shift")
        XCTAssertEqual(p.map(\.userIndex), [0, 0, 0])
        XCTAssertEqual(g.rule.arranges[0].lastUserIndex, 0)
    }

    func testInterleaveKeepsEveryPeriod() throws {
        // Weekend blocks listed first (5 in the window), daily shifts second (30): the original
        // stops each round at the first duty time without a period, so after the 5th round
        // the daily shifts are lost for good. fta keeps them.
        let r = try rule("handoff", effective: "2026-11-02 00:00:00", arranges: """
            [{"duty_time": [{"work_type": "weekend", "work_days": [6, 7], "work_time": ["00:00--23:59"]},
                            {"work_type": "daily", "work_time": ["09:00--18:00"]}],
              "duty_users": [[{"id": "a", "type": "user"}], [{"id": "b", "type": "user"}], [{"id": "c", "type": "user"}]]}]
            """)
        let p = plans(r, days: 30)
        let daily = p.flatMap(\.workTimes).filter { $0.start.secondOfDay == 9 * 3600 }
        XCTAssertEqual(daily.count, 30, "every daily shift of the window is planned")
        XCTAssertEqual(p.flatMap(\.workTimes).filter { $0.start.secondOfDay == 0 }.count, 8, "and every weekend day")
    }

    func testVeryLongShiftsDoNotOverlapAcrossBatches() throws {
        // 90-day shifts planned in 30-day batches: the original rewinds its state after a batch
        // that plans nothing and plans the same days again for the next person.
        var r = try rule("handoff", effective: "2026-01-01 00:00:00", arranges: """
            [{"duty_time": [{"work_type": "daily", "work_time": ["00:00--23:59"], "period_settings": {"window_unit": "day", "duration": 90}}],
              "duty_users": [[{"id": "a", "type": "user"}], [{"id": "b", "type": "user"}]]}]
            """)
        var all: [DutyShift] = []
        var begin = WallTime.parse("2026-01-01 00:00:00")!
        for _ in 0..<9 {
            var g = DutyGenerator(rule: r, begin: begin.text, days: 30)
            all += g.plans()
            r = g.rule
            begin = begin.adding(days: 30)
        }
        XCTAssertEqual(all.map(ids), [["a"], ["b"], ["a"]])
        let days = all.flatMap(\.workTimes).map(\.start.day)
        XCTAssertEqual(days.count, Set(days).count, "no day is planned twice")
        XCTAssertEqual(days.count, 270)
    }

    func testRotationWithoutHandoffBoundaryEndsWithTheWindow() throws {
        // A date-range rotation without an end date: the original walks to year 9999.
        let r = try rule("handoff", effective: "2026-11-02 00:00:00", arranges: """
            [{"duty_time": [{"work_type": "date_range", "work_date_range": ["2026-11-01--2027-12-31"], "work_time": ["00:00--23:59"]}],
              "duty_users": [[{"id": "a", "type": "user"}], [{"id": "b", "type": "user"}]]}]
            """)
        var g = DutyGenerator(rule: r, days: 30)
        let p = g.plans()
        XCTAssertEqual(p.count, 1)
        XCTAssertEqual(p[0].workTimes.count, 30)
        XCTAssertEqual(g.rule.arranges[0].times[0].beginTime, "2026-12-02 00:00:00")
    }

    // MARK: bad rules

    func testBadRulesNameTheField() throws {
        func error(_ arranges: String, category: String = "handoff") -> String {
            do {
                _ = try DutyRule.parse(try JSONParser.parse(#"{"id": 7, "name": "night", "category": "\#(category)", "effective_time": "2026-11-02 00:00:00", "duty_arranges": \#(arranges)}"#))
                return "no error"
            } catch { return "\(error)" }
        }
        let users = #"[[{"id": "a", "type": "user"}]]"#
        XCTAssertEqual(error(#"[{"duty_users": \#(users), "duty_time": [{"work_type": "hourly", "work_time": ["00:00--23:59"]}]}]"#),
                       "rule 7 (night): duty_arranges[0].duty_time[0].work_type: unknown value 'hourly' (expected one of daily, weekly, monthly, work_day, weekend, date_range)")
        XCTAssertEqual(error(#"[{"duty_users": \#(users), "duty_time": [{"work_type": "daily", "work_time": ["25:00--23:59"]}]}]"#),
                       "rule 7 (night): duty_arranges[0].duty_time[0].work_time[0]: '25:00--23:59' is not a time range \"HH:MM--HH:MM\"")
        XCTAssertEqual(error(#"[{"duty_users": \#(users), "group_type": "auto", "group_number": 0, "duty_time": [{"work_type": "daily", "work_time": ["00:00--23:59"]}]}]"#),
                       "rule 7 (night): duty_arranges[0].group_number: must be at least 1 for group_type auto (people per shift), got 0")
        XCTAssertEqual(error(#"[{"duty_users": \#(users), "duty_time": [{"work_type": "weekly", "work_days": [], "work_time": ["00:00--23:59"]}]}]"#),
                       "rule 7 (night): duty_arranges[0].duty_time[0].work_days: empty: a weekly rotation needs its days (the first is the handoff day)")
        XCTAssertEqual(error(#"[{"duty_users": \#(users), "duty_time": [{"work_type": "weekly", "work_days": [0, 1], "work_time": ["00:00--23:59"]}]}]"#),
                       "rule 7 (night): duty_arranges[0].duty_time[0].work_days: 0 is not an ISO weekday 1 (Monday) … 7 (Sunday)")
        XCTAssertTrue(error("[]", category: "regular") == "no error")
        do {
            _ = try DutyRule.parse(try JSONParser.parse(#"{"id": 8, "effective_time": "2026-02-30 00:00:00", "duty_arranges": []}"#))
            XCTFail("accepted February 30")
        } catch {
            XCTAssertEqual("\(error)", "rule 8: effective_time: '2026-02-30 00:00:00' is not a time of the form YYYY-MM-DD HH:MM:SS")
        }
    }
}
