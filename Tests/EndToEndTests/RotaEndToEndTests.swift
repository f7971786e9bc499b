import Foundation
import FTACore
import FTATestSupport
import XCTest

/// fta-rota through its commands: import, the pass, who, export (checked with Python's
/// icalendar parser), preview with state continuation, bad rules, and notices to whoever is on
/// duty through fta-tick.
final class RotaEndToEndTests: EndToEndCase {
    /// Daily handoff at 09:00 between alice and bob in Berlin, from March 1 2026, plus a
    /// business-hours backup rule.
    static let rota = """
        duty_rules:
          - id: 1
            name: night and day
            category: handoff
            effective_time: "2026-03-01 00:00:00"
            duty_arranges:
              - duty_users: [[{id: alice, type: user, display_name: "Alice, A.", logo: ""}], [{id: bob, type: user}]]
                group_type: specified
                duty_time: [{work_type: daily, work_time: ["09:00--09:00"]}]
          - id: 2
            name: backup
            category: regular
            effective_time: 2026-03-01 00:00:00
            duty_arranges:
              - duty_users: [[{id: carol, type: user}]]
                duty_time: [{work_type: weekly, work_days: [1, 2, 3, 4, 5], work_time: ["09:00--18:00"]}]
        user_groups:
          oncall:
            name: On call
            duty_rules: [1, 2]
            timezone: Europe/Berlin
            duty_notice: {hit_first_duty: true}
            notice_ways: {default: [mail]}
        """

    /// fta-rota at the rota's clock, Friday March 27 2026 12:00 UTC, without the config (that is
    /// fta-tick's); the caller checks the exit status.
    func rota(_ args: [String], stdin: String? = nil) throws -> CommandResult {
        try super.rota(args, now: "2026-03-27T12:00:00Z", without: .config, expect: nil, stdin: stdin)
    }

    func importAndRun() throws {
        let file = try dir.write("rota.yaml", RotaEndToEndTests.rota)
        let i = try rota(["import", file])
        XCTAssertEqual(i.status, 0, i.stderr)
        XCTAssertEqual(i.stdout, "stored 2 duty rules and 1 groups\n")
        let r = try rota(["run", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let s = try JSONParser.parse(r.stdout)
        XCTAssertEqual(s["groups"]?.intValue, 1)
        XCTAssertEqual(s["snapshots_created"]?.intValue, 2)
        XCTAssertGreaterThan(s["plans_written"]?.intValue ?? 0, 30)
    }

    func testImportRunWho_acrossTheSpringForwardNight() throws {
        try importAndRun()
        // March 27 is day 26 since March 1: alice (26 mod 2 = 0), from when the group got its
        // plans (the pass at 13:00) to 09:00 the next day.
        XCTAssertEqual(try rota(["who", "oncall", "--at", "2026-03-27 12:59"]).stdout, "oncall: nobody on duty at 2026-03-27 12:59 Europe/Berlin\n")
        let w = try rota(["who", "oncall", "--at", "2026-03-27 14:00", "--json"])
        XCTAssertEqual(w.status, 0, w.stderr)
        let o = try JSONParser.parse(w.stdout)
        XCTAssertEqual(o["users"]?.arrayValue?.compactMap { $0["id"]?.stringValue }, ["alice"], "rule 1 is first and hit_first_duty stops there")
        XCTAssertEqual(o["users"]?.arrayValue?.first?["display_name"], .string("Alice, A."), "user objects keep their keys")
        XCTAssertEqual(o["until"]?.stringValue, "2026-03-28 09:00:00")
        // Sunday March 29: bob's shift runs from Saturday 09:00 CET to Sunday 09:00 CEST
        // (23 real hours); instants on both sides of the 02:00 -> 03:00 jump.
        for (instant, who) in [("2026-03-28T07:59:00Z", "alice"), ("2026-03-28T08:00:00Z", "bob"), ("2026-03-29T00:59:00Z", "bob"),
                               ("2026-03-29T01:00:00Z", "bob"), ("2026-03-29T06:59:00Z", "bob"), ("2026-03-29T07:00:00Z", "alice")] {
            let r = try rota(["who", "oncall", "--at", instant, "--json"])
            XCTAssertEqual(try JSONParser.parse(r.stdout)["users"]?.arrayValue?.compactMap { $0["id"]?.stringValue }, [who], instant)
        }
        let text = try rota(["who", "oncall", "--at", "2026-03-29 08:59"])
        XCTAssertEqual(text.stdout, "oncall: bob (at 2026-03-29 08:59 Europe/Berlin until 2026-03-29 09:00; rule 1)\n")
        let status = try rota(["status", "--json"])
        let rules = try JSONParser.parse(status.stdout).arrayValue?.first?["rules"]?.arrayValue ?? []
        XCTAssertEqual(rules.map { $0["next_plan_time"]?.stringValue }, ["2026-04-26 13:00:00", "2026-04-26 13:00:00"])
    }

    func testExportICS_isValidForAParser_eventsInTheGroupZone() throws {
        try importAndRun()
        let r = try rota(["export", "oncall", "--format", "ics", "--from", "2026-03-27", "--days", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let ics = r.stdout
        XCTAssertTrue(ics.hasSuffix("END:VCALENDAR\r\n"))
        for line in ics.components(separatedBy: "\r\n") {
            XCTAssertLessThanOrEqual(line.utf8.count, 75, "folded: \(line)")
            XCTAssertFalse(line.contains("\n"), "CRLF line ends only")
        }
        let file = try dir.write("oncall.ics", ics)
        let script = try dir.write("check.py", """
            import json, sys
            from datetime import timezone
            from icalendar import Calendar
            cal = Calendar.from_ical(open(sys.argv[1], 'rb').read())
            errors = [str(e) for c in cal.walk() for e in getattr(c, 'errors', [])]
            events = []
            for ev in cal.walk('VEVENT'):
                for key in ('UID', 'DTSTAMP', 'DTSTART', 'DTEND', 'SUMMARY'):
                    if key not in ev: errors.append('missing ' + key)
                s, e = ev.decoded('DTSTART'), ev.decoded('DTEND')
                events.append({'start': s.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
                               'end': e.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
                               'tzid': ev['DTSTART'].params.get('TZID'), 'summary': str(ev['SUMMARY']), 'uid': str(ev['UID'])})
            print(json.dumps({'version': str(cal['VERSION']), 'timezones': [str(t['TZID']) for t in cal.walk('VTIMEZONE')],
                              'events': events, 'errors': errors}))
            """)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, file]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, errText)
        let parsed = try JSONParser.parse(String(decoding: data, as: UTF8.self))
        XCTAssertEqual(parsed["errors"], .array([]))
        XCTAssertEqual(parsed["version"], "2.0")
        XCTAssertEqual(parsed["timezones"], ["Europe/Berlin"])
        let events = parsed["events"]?.arrayValue ?? []
        XCTAssertTrue(events.allSatisfy { $0["tzid"] == "Europe/Berlin" })
        XCTAssertEqual(Set(events.compactMap { $0["uid"]?.stringValue }).count, events.count, "unique UIDs")
        let nights = events.filter { $0["summary"]?.stringValue?.contains("carol") == false }
        // Plans begin when the group got them (March 27 13:00 local): alice to the 28th 09:00,
        // bob to the 29th 09:00 (23 hours: spring forward), alice, then bob until the window
        // ends (March 31 00:00 local).
        XCTAssertEqual(nights.map { "\($0["start"]!.stringValue!)/\($0["end"]!.stringValue!)" }, [
            "2026-03-27T12:00:00Z/2026-03-28T08:00:00Z", "2026-03-28T08:00:00Z/2026-03-29T07:00:00Z",
            "2026-03-29T07:00:00Z/2026-03-30T07:00:00Z", "2026-03-30T07:00:00Z/2026-03-30T22:00:00Z",
        ])
        XCTAssertEqual(nights.map { $0["summary"]?.stringValue }, ["On duty: Alice, A.", "On duty: bob", "On duty: Alice, A.", "On duty: bob"],
                       "the escaped comma reads back as a comma")
        XCTAssertTrue(ics.contains("SUMMARY:On duty: Alice\\, A."))
        // carol: weekdays 09:00-18:00 (Friday 27 from 13:00, Monday 30), wall clock kept across the change.
        XCTAssertEqual(events.filter { $0["summary"]?.stringValue == "On duty: carol" }.map { "\($0["start"]!.stringValue!)/\($0["end"]!.stringValue!)" },
                       ["2026-03-27T12:00:00Z/2026-03-27T17:00:00Z", "2026-03-30T07:00:00Z/2026-03-30T16:00:00Z"])

        let table = try rota(["export", "oncall", "--format", "table", "--from", "2026-03-28", "--days", "2"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("Sat 2026-03-28  #########...............   Alice, A.  00:00-09:00\n"), table.stdout)
        XCTAssertTrue(table.stdout.contains("                .........###############   bob  09:00-24:00\n"), table.stdout)
        let json = try JSONParser.parse(try rota(["export", "oncall", "--format", "json", "--from", "2026-03-28", "--days", "1"]).stdout)
        XCTAssertEqual(json["shifts"]?.arrayValue?.map { $0["start_time"]?.stringValue }, ["2026-03-28 00:00", "2026-03-28 09:00"])
    }

    func testBadRules_oneLineNamingRuleAndField_exit2_nothingStored() throws {
        let cases: [(String, String)] = [
            ("{duty_users: [[{id: a, type: user}]], duty_time: [{work_type: hourly, work_time: [\"00:00--23:59\"]}]}",
             "rule 5 (bad): duty_arranges[0].duty_time[0].work_type: unknown value 'hourly' (expected one of daily, weekly, monthly, work_day, weekend, date_range)"),
            ("{duty_users: [[{id: a, type: user}]], duty_time: [{work_type: daily, work_time: [\"9:00-18:00\"]}]}",
             "rule 5 (bad): duty_arranges[0].duty_time[0].work_time[0]: '9:00-18:00' is not a time range \"HH:MM--HH:MM\""),
            ("{duty_users: [[{id: a, type: user}]], group_type: auto, group_number: 0, duty_time: [{work_type: daily, work_time: [\"09:00--18:00\"]}]}",
             "rule 5 (bad): duty_arranges[0].group_number: must be at least 1 for group_type auto (people per shift), got 0"),
        ]
        for (arrange, message) in cases {
            let file = try dir.write("bad.yaml", """
                duty_rules:
                  - id: 4
                    name: good
                    effective_time: "2026-03-01 00:00:00"
                    duty_arranges: [{duty_users: [[{id: a, type: user}]], duty_time: [{work_type: daily, work_time: ["00:00--23:59"]}]}]
                  - id: 5
                    name: bad
                    category: handoff
                    effective_time: "2026-03-01 00:00:00"
                    duty_arranges: [\(arrange)]
                user_groups:
                  g: {duty_rules: [4, 5]}
                """)
            let r = try rota(["import", file])
            XCTAssertEqual(r.status, 2, r.stdout)
            XCTAssertEqual(r.stderr, "fta-rota: error: \(file): \(message)\n")
        }
        let missing = try dir.write("missing.yaml", "user_groups:\n  g: {duty_rules: [9]}\n")
        let m = try rota(["import", missing])
        XCTAssertEqual(m.status, 2)
        XCTAssertEqual(m.stderr, "fta-rota: error: \(missing): user_groups.g.duty_rules: rule 9 is neither in this file nor stored\n")
        let zone = try dir.write("zone.yaml", "user_groups:\n  g: {timezone: Mars/Olympus}\n")
        XCTAssertTrue(try rota(["import", zone]).stderr.contains("user_groups.g.timezone: 'Mars/Olympus' is not an IANA time zone"))
        XCTAssertEqual(try database.dutyRuleCount() + database.userGroupCount(), 0)
    }

    func testPreview_stateContinuesTheRotation_andAlignment() throws {
        let rule = """
            {"name": "p", "enabled": true, "category": "handoff", "effective_time": "2026-01-05 00:00:00",
             "duty_arranges": [{"duty_users": [[{"id": "a", "type": "user", "team": "x"}], [{"id": "b", "type": "user"}], [{"id": "c", "type": "user"}]],
                                "duty_time": [{"work_type": "weekly", "work_days": [1, 2, 3, 4, 5, 6, 7], "work_time": ["00:00--23:59"]}]}]}
            """
        let file = try dir.write("rule.json", rule)
        func preview(_ args: [String], _ path: String) throws -> JSONValue {
            try json(rota(["preview", "--rule", path] + args, without: [.db, .now]))
        }
        let whole = try preview(["--begin", "2026-03-02 00:00:00", "--days", "28"], file)
        let first = try preview(["--begin", "2026-03-02 00:00:00", "--days", "14"], file)
        // Merge the state into the rule and preview the next two weeks.
        var o = try JSONParser.parse(rule).objectValue!
        var arranges = o["duty_arranges"]!.arrayValue!
        var a0 = arranges[0].objectValue!
        let st = first["state"]!["duty_arranges"]!.arrayValue![0]
        a0["last_user_index"] = st["last_user_index"]
        var t0 = a0["duty_time"]!.arrayValue![0].objectValue!
        t0["begin_time"] = st["duty_time"]!.arrayValue![0]["begin_time"]
        a0["duty_time"] = .array([.object(t0)])
        arranges[0] = .object(a0)
        o["duty_arranges"] = .array(arranges)
        let next = try preview(["--begin", "2026-03-16 00:00:00", "--days", "14"], try dir.write("rule2.json", JSONValue.object(o).jsonText))
        let joined = (first["duty_plans"]?.arrayValue ?? []) + (next["duty_plans"]?.arrayValue ?? [])
        XCTAssertEqual(JSONValue.array(joined), whole["duty_plans"], "two windows with the state between them are the 28-day window")
        // Weekly handoff on Mondays from January 5: March 2 is week 8 -> index 8 mod 3 = 2 (c).
        XCTAssertEqual(whole["duty_plans"]?.arrayValue?.map { $0["users"]?.arrayValue?.first?["id"]?.stringValue }, ["c", "a", "b", "c"])
        XCTAssertEqual(whole["duty_plans"]?.arrayValue?[1]["users"]?.arrayValue?.first?["team"], "x", "user objects keep their keys")
        XCTAssertEqual(whole["state"], ["duty_arranges": [["last_user_index": 0, "duty_time": [["begin_time": "2026-03-30 00:00:00"]]]]])
        let unaligned = try preview(["--begin", "2026-03-02 00:00:00", "--days", "7", "--no-align"], file)
        XCTAssertEqual(unaligned["duty_plans"]?.arrayValue?.first?["users"]?.arrayValue?.first?["id"], "a")
        let bad = try rota(["preview", "--rule", file, "--begin", "March"], without: [.db, .now], expect: 2)
        XCTAssertEqual(bad.stderr, "fta-rota: error: --begin 'March': expected YYYY-mm-dd HH:MM:SS\n")
    }

    func testNoticeToADutyGroup_reachesWhoeverIsOnDutyAtSendTime() throws {
        let smtp = try startSMTP()
        try writeConfig("""
            channels:
              mail: {host: 127.0.0.1, port: \(smtp.port), security: none, from: fta@example.com}
            users:
              alice: {email: alice@example.com}
              bob: {email: bob@example.com}
              carol: {email: carol@example.com}
            action_configs:
              - {id: 3, name: once, plugin_type: notice, execute_config: {template_detail: {need_poll: false}}}
              - {id: 4, name: hourly, plugin_type: notice,
                 execute_config: {template_detail: {notify_interval: 3600, interval_notify_mode: standard}}}
            """)
        try importAndRun()
        func pass(_ instant: String) throws {
            try tick(["run"], now: instant)
        }
        func alert(_ id: String, at instant: String, configId: Int64 = 3) throws {
            let t = TimeParser.parse(instant)!
            let event: JSONValue = [
                "signal": "abnormal",
                "alert": ["id": .string(id), "alert_name": "Disk full", "strategy_id": 9, "severity": 1, "status": "ABNORMAL",
                          "begin_time": .int(t), "latest_time": .int(t), "event": ["bk_biz_id": 2]],
                "strategy": ["id": 9, "name": "disk", "bk_biz_id": 2,
                             "notice": ["id": 90, "config_id": .int(configId), "signal": ["abnormal"], "user_groups": ["oncall"]]],
            ]
            try tick(["ingest", "-"], now: instant, stdin: event.jsonText + "\n")
            try pass(instant)
        }
        try alert("d-1", at: "2026-03-27T12:30:00Z")   // Friday 13:30 Berlin: alice
        try alert("d-2", at: "2026-03-28T10:00:00Z")   // Saturday 11:00: bob
        try alert("d-3", at: "2026-03-29T06:30:00Z")   // Sunday 08:30 summer time: still bob
        // An hourly repeat is sent to whoever is on duty when its round comes: alice at 08:30
        // on Monday, bob an hour later, after the 09:00 handoff.
        try alert("d-4", at: "2026-03-30T06:30:00Z", configId: 4)
        try pass("2026-03-30T07:30:00Z")
        let mails = try smtp.messages()
        XCTAssertEqual(mails.map { $0["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue) ?? [] },
                       [["alice@example.com"], ["bob@example.com"], ["bob@example.com"], ["alice@example.com"], ["bob@example.com"]])
    }
}
