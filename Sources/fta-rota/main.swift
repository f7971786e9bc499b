import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import Logging

/// fta-rota: on-call duty plans from the original's duty rules, one pass per run.
struct FtaRota: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fta-rota",
        abstract: "Compute on-call duty plans for user groups: one pass, then exit (run it from cron).",
        discussion: """
            Examples:
              fta-rota import --db fta.db rota.yaml           store duty rules and duty groups
              fta-rota --db fta.db                            one pass (same as 'fta-rota run')
              fta-rota who ops --db fta.db                    who is on duty now
              fta-rota export ops --format ics > ops.ics      the plans as a calendar feed
              fta-rota preview --rule rule.json --days 14     plans of one rule, no database

            Exit codes: 0 done, 1 done but needs attention (a group names a missing rule or
            an unknown time zone), 2 usage/input error (nothing stored), 3 environment error.
            """,
        version: FTAVersion.string,
        subcommands: [Run.self, Import.self, Preview.self, Who.self, Export.self, Status.self],
        defaultSubcommand: Run.self
    )
}

/// Duty groups: stored ones with the config file's over them.
func directory(_ env: CommandEnvironment, _ store: any DirectoryStore) throws -> UserDirectory {
    try store.loadDirectory().overlaid(by: env.config.directory)
}

func dutyGroup(_ id: String, in directory: UserDirectory) throws -> (UserGroup, ZoneClock) {
    guard let group = directory.groups[id] else {
        let known = directory.groups.values.filter(\.needDuty).map(\.id).sorted()
        throw FTAError.usage("group '\(id)' is not known" + (known.isEmpty ? " (no duty groups are stored; see fta-rota import)" : " (duty groups: \(known.joined(separator: ", ")))"))
    }
    guard group.needDuty else { throw FTAError.usage("group '\(id)' has no duty rules (need_duty is false)") }
    guard let clock = ZoneClock(identifier: group.timezone) else { throw FTAError.config("group '\(id)': timezone '\(group.timezone)' is not an IANA zone") }
    return (group, clock)
}

/// A time given on the command line: a wall-clock time in the group's zone
/// (`2026-03-29 09:00[:00]`), or an instant (ISO-8601 with a zone, or epoch seconds).
func instant(_ text: String, _ flag: String, clock: ZoneClock) throws -> Int64 {
    if let w = WallTime.parse(text) { return clock.instant(of: w) }
    if let t = TimeParser.parse(text) { return t }
    throw FTAError.usage("\(flag) '\(text)': expected 'YYYY-MM-DD HH:MM[:SS]' (the group's wall clock), ISO-8601 with a zone, or epoch seconds")
}

extension FtaRota {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One pass: snapshots per group and rule, re-plan changed rules, write the next 30-day batch of plans when it starts within 7 days.",
            discussion: "Example (crontab): */10 * * * * fta-rota --db /var/lib/fta/fta.db --config /etc/fta/fta.yaml")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print the pass summary as JSON on stdout.") var json = false

        func run() throws {
            let env = try global.prepare(label: "fta-rota")
            let store = try env.openStore()
            let started = Date()
            let summary = try RotaPass(store: store).run(directory: try directory(env, store), at: env.clock.now())
            let ms = Int(Date().timeIntervalSince(started) * 1000)
            if json {
                var o = summary.json.objectValue ?? [:]
                o["duration_ms"] = .int(Int64(ms))
                print(JSONValue.object(o).jsonText)
            }
            env.logger.info("pass done", metadata: ["groups": "\(summary.groups)", "snapshots_created": "\(summary.snapshotsCreated)",
                                                    "rules_changed": "\(summary.rulesChanged)", "batches": "\(summary.batches)",
                                                    "plans_written": "\(summary.plansWritten)", "plans_cancelled": "\(summary.plansCancelled)",
                                                    "plans_cut": "\(summary.plansCut)", "duration_ms": "\(ms)"])
            if let path = env.metricsFile {
                func gauge(_ name: String, _ help: String, _ v: Double) -> MetricsText.Family { .init(name: name, help: help, samples: [.init(name, [], v)]) }
                try MetricsFile.write([
                    gauge("fta_rota_groups", "Duty groups planned by the last pass.", Double(summary.groups)),
                    gauge("fta_rota_plans_written", "Plans written by the last pass.", Double(summary.plansWritten)),
                    gauge("fta_rota_plans_cancelled", "Plans cancelled by the last pass (changed, disabled or removed rules).", Double(summary.plansCancelled)),
                    gauge("fta_rota_rules_changed", "Rules re-planned by the last pass.", Double(summary.rulesChanged)),
                    gauge("fta_rota_problems", "Groups naming a missing rule or an unknown time zone.", Double(summary.missingRules.count + summary.badZones.count)),
                    gauge("fta_rota_duration_seconds", "Wall time of the last pass.", Double(ms) / 1000),
                ], to: path)
            }
            for m in summary.missingRules { env.logger.warning("group refers to a duty rule that is not stored", metadata: ["group_rule": "\(m)"]) }
            for z in summary.badZones { env.logger.warning("group has an unknown time zone; not planned", metadata: ["group_timezone": "\(z)"]) }
            if !summary.missingRules.isEmpty || !summary.badZones.isEmpty { throw CommandExit(.attention) }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store duty rules and the groups that use them, from a YAML or JSON file.",
            discussion: """
                The file has duty_rules: (the original's rule JSON, each with an id) and user_groups:
                (the config file's group shape plus duty_rules: [ids in priority order],
                timezone: IANA zone (default Asia/Shanghai), duty_notice: {hit_first_duty: true}).
                Everything is checked first: a bad rule or group stores nothing (exit 2).
                Rules and groups with the same id are replaced; the next pass re-plans changed rules.
                Example: fta-rota import --db fta.db rota.yaml
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "YAML/JSON file, or - for stdin.") var file: String

        func run() throws {
            let env = try global.prepare(label: "fta-rota")
            let store = try env.openStore()
            let text = file == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : nil
            let rota = try RotaFile.load(path: file, text: text, storedRuleIds: try store.dutyRuleIds(), environment: ProcessInfo.processInfo.environment)
            try store.saveDutyRules(rota.rules, now: env.clock.now())
            let stored = try store.saveDirectory(rota.directory, replace: false, now: env.clock.now())
            print("stored \(rota.rules.count) duty rules and \(stored.groups) groups" + (stored.users > 0 ? " and \(stored.users) users" : ""))
        }
    }

    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The plans of one rule for a window, without touching the database.",
            discussion: """
                Prints {"duty_plans": [...], "state": {...}}: plans in the original's generation order,
                and the rotation state (last_user_index per arrangement, begin_time per duty time).
                Merge the state into the rule and preview the next window to continue the rotation.
                A handoff rule is first replayed from its effective_time to --begin, as the original's
                preview does (--no-align skips that; a rule that carries state is never replayed).
                Example: fta-rota preview --rule rule.json --begin "2026-12-01 00:00:00" --days 14
                """)
        @Option(help: "Rule file (JSON or YAML), or - for stdin.") var rule: String
        @Option(help: "First day, 'YYYY-mm-dd HH:MM:SS' (default: the rule's effective_time).") var begin: String?
        @Option(help: "Days in the window (default 30).") var days: Int?
        @Option(help: "End of the window instead of --days, 'YYYY-mm-dd HH:MM:SS'.") var end: String?
        @Flag(name: .customLong("no-align"), help: "Do not replay a handoff rule from its effective_time.") var noAlign = false

        func run() throws {
            if days != nil, end != nil { throw FTAError.usage("--days and --end: give one of them") }
            if let days, !(1...3660).contains(days) { throw FTAError.usage("--days: must be 1...3660") }
            let name = rule == "-" ? "stdin" : rule
            guard let text = rule == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                    : FileHandle(forReadingAtPath: rule).flatMap({ (try? $0.readToEnd()).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } }) else {
                throw FTAError.input("\(name): cannot read the file")
            }
            let value = try (try? JSONParser.parse(text)) ?? RotaFile.document(text, name: name)
            let parsed: DutyRule
            do { parsed = try DutyRule.parse(value, requireId: false) } catch let e as FTAError { throw FTAError.input("\(name): \(e.description)") }
            if let begin, WallTime.parse(begin) == nil { throw FTAError.usage("--begin '\(begin)': expected YYYY-mm-dd HH:MM:SS") }
            if let end, WallTime.parse(end) == nil { throw FTAError.usage("--end '\(end)': expected YYYY-mm-dd HH:MM:SS") }
            let (plans, state) = DutyGenerator.preview(parsed, begin: begin.flatMap(WallTime.parse)?.text, days: days ?? 30,
                                                       end: end.flatMap(WallTime.parse)?.text, align: !noAlign)
            print(JSONWriter.writePretty(.object(["duty_plans": .array(plans.map(\.json)), "state": state.state])))
        }
    }

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

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Duty groups, their rules, snapshots and how far ahead they are planned.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let env = try global.prepare(label: "fta-rota")
            let store = try env.openStore()
            let dir = try directory(env, store)
            let rows = try store.dutyStatus()
            let rules = try store.dutyRules()
            var out: [JSONValue] = []
            for g in dir.groups.values.filter(\.needDuty).sorted(by: { $0.id < $1.id }) {
                let mine = rows.filter { $0.group == g.id }
                out.append(.object(["user_group_id": .string(g.id), "timezone": .string(g.timezone),
                                    "rules": .array(g.dutyRules.map { rid in
                                        let s = mine.first { $0.ruleId == rid }
                                        return .object(["duty_rule_id": .int(rid), "name": .string(rules[rid]?.name ?? ""),
                                                        "stored": .bool(rules[rid] != nil), "enabled": .bool(rules[rid]?.enabled ?? false),
                                                        "next_plan_time": .string(s?.nextPlan ?? ""), "completed": .bool(s?.completed ?? false),
                                                        "effective_plans": .int(Int64(s?.plans ?? 0)), "planned_until": .string(s?.until ?? "")])
                                    })]))
            }
            if json { print(JSONWriter.writePretty(.array(out))); return }
            print("group\ttimezone\trule\tenabled\tnext batch\tplans\tplanned until")
            for g in out {
                for r in g["rules"]?.arrayValue ?? [] {
                    print([g["user_group_id"]?.stringValue ?? "", g["timezone"]?.stringValue ?? "",
                           "\(r["duty_rule_id"]?.intValue ?? 0) \(r["name"]?.stringValue ?? "")" + (r["stored"]?.boolValue == true ? "" : " (missing)"),
                           r["enabled"]?.boolValue == true ? "yes" : "no",
                           r["completed"]?.boolValue == true ? "done" : (r["next_plan_time"]?.stringValue ?? ""),
                           "\(r["effective_plans"]?.intValue ?? 0)", r["planned_until"]?.stringValue ?? ""].joined(separator: "\t"))
                }
            }
        }
    }
}

CommandRunner.main(FtaRota.self) { format, level in
    LoggingSystem.bootstrap { FTALogHandler(label: $0, format: format, level: level) }
}
