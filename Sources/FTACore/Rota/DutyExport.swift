import Foundation

/// Plans of a group as a feed: iCalendar (RFC 5545), JSON, or a text timeline.
package enum DutyExport {
    /// One work time of one plan, clipped to the plan's bounds and the export window.
    package struct Event: Sendable {
        package var planId: Int64
        package var index: Int
        package var ruleId: Int64
        package var order: Int
        package var start: WallTime
        /// Exclusive.
        package var end: WallTime
        package var users: [JSONValue]

        package var names: String { DutyExport.names(users) }
    }

    package static func names(_ users: [JSONValue]) -> String {
        users.map { u in (u["display_name"]?.stringValue).flatMap { $0.isEmpty ? nil : $0 } ?? u["id"]?.scalarText ?? "?" }.joined(separator: ", ")
    }

    package static func events(plans: [DutyPlan], from: WallTime, to: WallTime) -> [Event] {
        var out: [Event] = []
        for p in plans {
            for (i, w) in p.effectiveWorkTimes.enumerated() {
                let s = max(w.start, from), e = min(w.end, to)
                guard s < e else { continue }
                out.append(Event(planId: p.id, index: i, ruleId: p.ruleId, order: p.order, start: s, end: e, users: p.users))
            }
        }
        return out.sorted { ($0.start, $0.ruleId, $0.order, $0.planId) < ($1.start, $1.ruleId, $1.order, $1.planId) }
    }

    // MARK: - iCalendar

    /// A VCALENDAR with one VEVENT per work time, times in the group's zone (`TZID`) and a
    /// VTIMEZONE built from the zone's offset changes over the exported span.
    package static func ics(group: UserGroup, events: [Event], clock: ZoneClock, stamp: Int64, ruleNames: [Int64: String] = [:]) -> String {
        var lines: [String] = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fta//fta-rota \(FTAVersion.string)//EN", "CALSCALE:GREGORIAN",
                               "METHOD:PUBLISH", "X-WR-CALNAME:" + escape("\(group.name) on duty"), "X-WR-TIMEZONE:" + clock.identifier]
        let spanStart = (events.map(\.start).min() ?? clock.wall(at: stamp))
        let spanEnd = (events.map(\.end).max() ?? spanStart)
        lines += vtimezone(clock, from: clock.instant(of: spanStart) - 86_400, to: clock.instant(of: spanEnd) + 86_400)
        let dtstamp = WallTime(seconds: stamp).icsText + "Z"
        for e in events {
            let rule = ruleNames[e.ruleId].map { "rule \(e.ruleId) (\($0))" } ?? "rule \(e.ruleId)"
            lines += ["BEGIN:VEVENT",
                      "UID:fta-duty-\(e.planId)-\(e.index)-\(e.start.icsText)@\(uidSafe(group.id))",
                      "DTSTAMP:\(dtstamp)",
                      "DTSTART;TZID=\(clock.identifier):\(e.start.icsText)",
                      "DTEND;TZID=\(clock.identifier):\(e.end.icsText)",
                      "SUMMARY:" + escape("On duty: \(e.names)"),
                      "DESCRIPTION:" + escape("\(group.name): \(rule), arrangement \(e.order), plan \(e.planId)"),
                      "CATEGORIES:" + escape("on-call"),
                      "TRANSP:TRANSPARENT",
                      "END:VEVENT"]
        }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    static func vtimezone(_ clock: ZoneClock, from: Int64, to: Int64) -> [String] {
        var out = ["BEGIN:VTIMEZONE", "TZID:\(clock.identifier)"]
        let start = from - 366 * 86_400
        let initial = clock.offset(at: start)
        let changes = clock.transitions(from: start, to: to)
        // The observance in force before the first change (or all along, in a zone without changes).
        let firstIsDST = changes.first.map { !$0.dst } ?? false
        out += [firstIsDST ? "BEGIN:DAYLIGHT" : "BEGIN:STANDARD", "DTSTART:19700101T000000",
                "TZOFFSETFROM:\(ZoneClock.offsetText(initial))", "TZOFFSETTO:\(ZoneClock.offsetText(initial))",
                firstIsDST ? "END:DAYLIGHT" : "END:STANDARD"]
        for c in changes {
            let kind = c.dst ? "DAYLIGHT" : "STANDARD"
            out += ["BEGIN:\(kind)", "DTSTART:" + WallTime(seconds: c.instant + c.from).icsText,
                    "TZOFFSETFROM:\(ZoneClock.offsetText(c.from))", "TZOFFSETTO:\(ZoneClock.offsetText(c.to))", "END:\(kind)"]
        }
        out.append("END:VTIMEZONE")
        return out
    }

    /// TEXT escaping (RFC 5545 §3.3.11).
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n": out += "\\n"
            case "\r": continue
            default: out.append(c)
            }
        }
        return out
    }

    static func uidSafe(_ s: String) -> String {
        String(s.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "." ? Character($0) : "_" })
    }

    /// Lines longer than 75 octets are folded (RFC 5545 §3.1), never inside a UTF-8 sequence.
    static func fold(_ line: String) -> String {
        guard line.utf8.count > 75 else { return line }
        var out = ""
        var count = 0
        for ch in line {
            let n = String(ch).utf8.count
            if count + n > 75 {
                out += "\r\n "
                count = 1
            }
            out.append(ch)
            count += n
        }
        return out
    }

    // MARK: - JSON and text

    package static func json(group: UserGroup, events: [Event], from: WallTime, to: WallTime) -> JSONValue {
        .object(["user_group_id": .string(group.id), "timezone": .string(group.timezone),
                 "from": .string(from.minuteText), "to": .string(to.minuteText),
                 "shifts": .array(events.map { e in
                     .object(["start_time": .string(e.start.minuteText), "end_time": .string(e.end.minuteText), "users": .array(e.users),
                              "duty_rule_id": .int(e.ruleId), "order": .int(Int64(e.order)), "plan_id": .int(e.planId)])
                 })])
    }

    static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// A day-by-day timeline: one row per day and crew, a cell per hour (`#` on duty for the
    /// whole hour, `+` for part of it, `.` off), then the exact times.
    package static func table(group: UserGroup, events: [Event], from: WallTime, to: WallTime) -> String {
        var lines = ["\(group.name) (\(group.id)) on duty, \(group.timezone), \(from.minuteText) to \(to.minuteText)",
                     "", String(repeating: " ", count: 16) + "0     6     12    18    24"]
        var day = from.startOfDay
        while day < to {
            let next = day.adding(days: 1)
            var crews: [(String, [WorkTime])] = []
            for e in events where e.start < next && e.end > day {
                let names = e.names
                let piece = WorkTime(start: max(e.start, day), end: min(e.end, next))
                if let i = crews.firstIndex(where: { $0.0 == names }) { crews[i].1.append(piece) } else { crews.append((names, [piece])) }
            }
            let label = "\(weekdays[day.weekday - 1]) \(day.dateText)"
            if crews.isEmpty { lines.append(label + "  " + String(repeating: " ", count: 24) + "   (nobody)") }
            for (i, crew) in crews.enumerated() {
                var cells = ""
                for h in 0..<24 {
                    let hs = day.adding(seconds: Int64(h) * 3600), he = hs.adding(seconds: 3600)
                    let covered = crew.1.reduce(Int64(0)) { $0 + max(0, min($1.end, he).seconds - max($1.start, hs).seconds) }
                    cells += covered >= 3600 ? "#" : covered > 0 ? "+" : "."
                }
                let spans = crew.1.map { w in
                    let endText = w.end == next ? "24:00" : String(w.end.minuteText.suffix(5))
                    return String(w.start.minuteText.suffix(5)) + "-" + endText
                }.joined(separator: " ")
                lines.append((i == 0 ? label : String(repeating: " ", count: label.count)) + "  " + cells + "   " + crew.0 + "  " + spans)
            }
            day = next
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
