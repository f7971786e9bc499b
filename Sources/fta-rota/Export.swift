import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import Logging

extension FtaRota {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A group's duty plans as an iCalendar feed, JSON, or a text timeline.",
            discussion: """
                One VEVENT per work time, in the group's zone (TZID, with its VTIMEZONE).
                Examples:
                  fta-rota export ops --format ics > /var/www/oncall/ops.ics
                  fta-rota export ops --format table --days 7
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "User group id.") var group: String
        @Option(help: "ics, json or table.") var format: String = "ics"
        @Option(help: "Start, wall-clock in the group's zone (default: today 00:00).") var from: String?
        @Option(help: "Days from --from (default 30).") var days: Int = 30

        func run() throws {
            guard ["ics", "json", "table"].contains(format) else { throw FTAError.usage("--format: '\(format)' is not one of ics, json, table") }
            guard (1...400).contains(days) else { throw FTAError.usage("--days: must be 1...400") }
            let env = try global.prepare(label: "fta-rota")
            let store = try env.openStore()
            let (g, clock) = try dutyGroup(group, in: try directory(env, store))
            let start: WallTime
            if let from {
                guard let w = WallTime.parse(from) else { throw FTAError.usage("--from '\(from)': expected YYYY-mm-dd [HH:MM[:SS]]") }
                start = w
            } else {
                start = clock.wall(at: env.clock.now()).startOfDay
            }
            let end = start.adding(days: Int64(days))
            let plans = try store.dutyPlans(group: g.id, from: start, to: end, includeCancelled: false)
            let events = DutyExport.events(plans: plans, from: start, to: end)
            switch format {
            case "ics":
                let names = try store.dutyRules().mapValues(\.name)
                FileHandle.standardOutput.write(Data(DutyExport.ics(group: g, events: events, clock: clock, stamp: env.clock.now(), ruleNames: names).utf8))
            case "json": print(JSONWriter.writePretty(DutyExport.json(group: g, events: events, from: start, to: end)))
            default: print(DutyExport.table(group: g, events: events, from: start, to: end), terminator: "")
            }
        }
    }
}
