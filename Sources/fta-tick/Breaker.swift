import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import FTATransport
import Logging

extension FtaTick {
    struct Breaker: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Circuit-breaker rules: hold actions and notices by strategy, business, data source or plugin.",
            discussion: """
                Each `add` is one rule group: its conditions must all hold (with --or, any of them).
                Groups added separately widen what is held. Held webhooks end `blocked`; held notices
                end `blocked` with their rendered send saved for fta-replay.
                Examples:
                  fta-tick breaker add --strategy 12345 --strategy 67890 --description "storm" --ttl 2h
                  fta-tick breaker add --data-source bk_monitor --data-type time_series
                  fta-tick breaker add --biz 2 --plugin-type webhook --or
                  fta-tick breaker add --rule "strategy_id reg ^123"
                  fta-tick breaker list --json; fta-tick breaker remove 3; fta-tick breaker clear
                """,
            subcommands: [Add.self, List.self, Remove.self, Clear.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add one rule group.")
            @OptionGroup var global: GlobalOptions
            @Option(help: "Strategy id (repeatable: any of them).") var strategy: [String] = []
            @Option(help: "Business id (repeatable).") var biz: [String] = []
            @Option(name: .customLong("data-source"), help: "data_source_label, e.g. bk_monitor.") var dataSource: [String] = []
            @Option(name: .customLong("data-type"), help: "data_type_label, e.g. time_series.") var dataType: [String] = []
            @Option(name: .customLong("strategy-source"), help: "<data_source_label>:<data_type_label>.") var strategySource: [String] = []
            @Option(name: .customLong("plugin-type"), help: "Plugin key: notice, webhook, job, sops, itsm, message_queue...") var pluginType: [String] = []
            @Option(help: "Any condition as \"KEY METHOD VALUE[,VALUE]\" (methods: eq neq lt lte gt gte reg nreg include exclude issuperset).") var rule: [String] = []
            @Flag(name: .customLong("or"), help: "Hold when any condition holds (default: all).") var any = false
            @Option(help: "Expire after this long (90s, 30m, 2h, 1d); default never.") var ttl: String?
            @Option(help: "Why the rule exists.") var description: String?
            @Option(help: "Who added it (default $USER).") var creator: String?

            func run() throws {
                let env = try global.prepare(label: "fta-tick")
                var rules: [BreakerRule] = []
                for (key, values) in [("strategy_id", strategy), ("bk_biz_id", biz), ("data_source_label", dataSource),
                                      ("data_type_label", dataType), ("strategy_source", strategySource), ("plugin_type", pluginType)] where !values.isEmpty {
                    rules.append(BreakerRule(key: key, method: "eq", values: values))
                }
                for text in rule {
                    let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
                    guard parts.count == 3 else { throw FTAError.usage("--rule '\(text)': expected \"KEY METHOD VALUE[,VALUE]\"") }
                    rules.append(BreakerRule(key: parts[0], method: parts[1], values: parts[2].split(separator: ",").map(String.init)))
                }
                guard !rules.isEmpty else { throw FTAError.usage("breaker add: give at least one condition (--strategy, --biz, --data-source, --data-type, --strategy-source, --plugin-type or --rule)") }
                let now = env.clock.now()
                var expires: Int64?
                if let ttl {
                    guard let seconds = TimeParser.duration(ttl) else { throw FTAError.usage("--ttl '\(ttl)': expected a duration such as 90s, 30m, 2h or 1d") }
                    expires = now + seconds
                }
                do {
                    rules = try BreakerRule.group(rules, any: any, description: description ?? "created \(TimeParser.iso(now))",
                                                  creator: creator ?? ProcessInfo.processInfo.environment["USER"] ?? "", expiresAt: expires)
                } catch let e as FieldError {
                    throw FTAError.usage(e.description)
                }
                let ids = try env.openStore().addBreakerRules(rules, now: now)
                print(ids.map(String.init).joined(separator: "\n"))
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Rules with ids, age, expiry and how many actions each has held.")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print JSON.") var json = false
            @Flag(name: .customLong("include-expired"), help: "Show expired rules too.") var includeExpired = false

            func run() throws {
                let env = try global.prepare(label: "fta-tick")
                let now = env.clock.now()
                let rules = try env.openStore().breakerRules(now: now, includeExpired: includeExpired)
                if json {
                    print(JSONValue.array(rules.map { r in
                        ["id": .int(r.id), "key": .string(r.key), "method": .string(r.method), "value": .array(r.values.map { .string($0) }),
                         "condition": .string(r.condition), "description": .string(r.description), "creator": .string(r.creator),
                         "create_time": .int(r.createTime), "expires_at": r.expiresAt.map { .int($0) } ?? .null, "held": .int(r.held),
                         "expired": .bool((r.expiresAt ?? Int64.max) <= now)]
                    }).jsonText)
                    return
                }
                if rules.isEmpty { print("no breaker rules"); return }
                print("id\tgroup\tcondition\tage\texpires\theld\tdescription")
                for r in rules {
                    let age = now - r.createTime
                    let expires = r.expiresAt.map { $0 <= now ? "expired" : "in \(OperatorOutput.duration($0 - now))" } ?? "never"
                    print("\(r.id)\t\(r.condition)\t\(r.key) \(r.method) \(r.values.joined(separator: ","))\t\(OperatorOutput.duration(age))\t\(expires)\t\(r.held)\t\(r.description)")
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove rules by id.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "Rule ids.") var ids: [Int64]

            func run() throws {
                let env = try global.prepare(label: "fta-tick")
                let removed = try env.openStore().removeBreakerRules(ids)
                for id in ids where !removed.contains(id) { CommandOutput.report("breaker rule \(id) does not exist") }
                print("removed \(removed.count) rules")
                if removed.count != ids.count { throw CommandExit(.attention) }
            }
        }

        struct Clear: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove every rule.")
            @OptionGroup var global: GlobalOptions
            func run() throws {
                let env = try global.prepare(label: "fta-tick")
                print("removed \(try env.openStore().clearBreakerRules()) rules")
            }
        }
    }
}
