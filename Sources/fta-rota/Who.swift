import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import Logging

extension FtaRota {
    struct Who: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The users on duty in a group, now or at a time.",
            discussion: """
                Rules are taken in the group's order; all active plans of a rule count; with
                duty_notice.hit_first_duty (the default) the first rule with an active plan decides.
                Example: fta-rota who ops --at "2026-03-29 02:30" --json
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "User group id.") var group: String
        @Option(help: "Wall-clock time in the group's zone ('YYYY-mm-dd HH:MM'), or ISO-8601 with a zone (default: now).") var at: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let env = try global.prepare(label: "fta-rota")
            let store = try env.openStore()
            let (g, clock) = try dutyGroup(group, in: try directory(env, store))
            let t = try at.map { try instant($0, "--at", clock: clock) } ?? env.clock.now()
            let r = try store.who(group: g, at: t, clock: clock)
            let wall = clock.wall(at: t)
            if json {
                var o: [String: JSONValue] = ["user_group_id": .string(g.id), "timezone": .string(g.timezone), "at": .string(wall.text),
                                              "at_utc": .string(TimeParser.iso(t)), "users": .array(r.users),
                                              "duty_rules": .array(r.active.map { a in
                                                  .object(["duty_rule_id": .int(a.ruleId), "plans": .array(a.plans.map { .int($0.id) })])
                                              })]
                if let u = r.until { o["until"] = .string(clock.wall(at: u).text) }
                print(JSONWriter.writePretty(.object(o)))
            } else if r.users.isEmpty {
                print("\(g.id): nobody on duty at \(wall.minuteText) \(g.timezone)")
            } else {
                let until = r.until.map { " until \(clock.wall(at: $0).minuteText)" } ?? ""
                print("\(g.id): \(DutyExport.names(r.users)) (at \(wall.minuteText) \(g.timezone)\(until); rule \(r.active.map { String($0.ruleId) }.joined(separator: ", ")))")
            }
            if r.users.isEmpty { throw CommandExit(.attention) }
        }
    }
}
