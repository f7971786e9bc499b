import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import FTATransport
import Logging

struct FtaTick: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fta-tick",
        abstract: "Run due alert actions from the SQLite queue: one pass, then exit (run it from cron).",
        discussion: """
            Examples:
              fta-tick --db /var/lib/fta/fta.db                 one pass (same as 'fta-tick run')
              fta-tick enqueue --db fta.db actions.jsonl        store actions (JSON lines)
              fta-tick status --db fta.db --json                queue counts
              fta-tick show 42                                  one action and its log
              fta-tick retry 42 43                              run finished actions again
              fta-tick skip 44 --reason "handled by hand"       finish live actions as skipped

            Exit codes: 0 done, 1 done but needs attention, 2 usage/config/input error,
            3 environment error (database cannot be opened or is locked).
            """,
        version: FTAVersion.string,
        subcommands: [Run.self, Ingest.self, Enqueue.self, Groups.self, Breaker.self, Status.self, Show.self, Retry.self, Skip.self],
        defaultSubcommand: Run.self
    )
}

extension FtaTick {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One pass: sweep timeouts, claim due actions with a lease, run them, record outcomes.",
            discussion: "Example: fta-tick run --db fta.db --concurrency 32 --max-runtime 50 --metrics-file /var/lib/node_exporter/fta_tick.prom")

        @OptionGroup var global: GlobalOptions
        @Option(help: "Actions claimed per transaction (default 500, or tick.batch).") var batch: Int?
        @Option(help: "Actions run at once (default 16, or tick.concurrency).") var concurrency: Int?
        @Option(help: "Seconds until this pass's claims may be taken over (default 120, or tick.lease).") var lease: Double?
        @Option(name: .customLong("max-runtime"), help: "Stop claiming near this many seconds (default 50, or tick.max_runtime).") var maxRuntime: Double?
        @Option(name: .customLong("worker-id"), help: "Lease owner name (default host:pid).") var workerId: String?
        @Flag(help: "Print the pass report as JSON on stdout.") var json = false

        func run() throws {
            var env = try global.prepare(label: "fta-tick")
            var options = TickOptions(settings: env.config.tick, workerId: workerId)
            if let batch { guard (1...100_000).contains(batch) else { throw FTAError.usage("--batch: must be 1...100000") }; options.batch = batch }
            if let concurrency { guard (1...512).contains(concurrency) else { throw FTAError.usage("--concurrency: must be 1...512") }; options.concurrency = concurrency }
            if let lease { guard (1...86_400).contains(lease) else { throw FTAError.usage("--lease: must be 1...86400 seconds") }; options.lease = lease }
            if let maxRuntime { guard maxRuntime > 0, maxRuntime <= 86_400 else { throw FTAError.usage("--max-runtime: must be more than 0 and at most 86400 seconds") }; options.maxRuntime = maxRuntime }
            let store = try env.openStore()
            env.config.directory = try store.loadDirectory().overlaid(by: env.config.directory)
            for g in try store.applyDuty(to: &env.config.directory, at: env.clock.now()) {
                env.logger.warning("duty group has nobody on duty and lists no users; its notices reach nobody", metadata: ["group": "\(g)"])
            }
            StopSignals.install()
            let pass = TickPass(store: store, registry: .standard(config: env.config), options: options,
                                settings: env.config.tick, clock: env.clock, logger: env.logger)
            pass.creation = env.config.creationStage(registry: .standard(config: env.config))
            let report = try pass.run()
            let t = report.total
            env.logger.info("pass done", metadata: [
                "claimed": "\(t.claimed)", "succeeded": "\(t.succeeded)", "failed": "\(t.failed)", "retried": "\(t.retried)",
                "continued": "\(t.continued)", "timed_out": "\(report.timedOut)", "released": "\(report.released)",
                "lost": "\(report.lost)", "repeats": "\(report.repeatsCreated)", "expired_leases": "\(report.expiredLeases)",
                "seconds": "\(String(format: "%.3f", report.seconds))", "worker": "\(options.workerId)",
            ])
            if let path = env.metricsFile {
                let now = env.clock.now()
                let depth = try store.queueStatus(now: now, includeHistory: false)
                try MetricsFile.write(TickMetrics.families(report: report, queue: depth, now: now), to: path)
            }
            if json { print(TickOutput.json(report).jsonText) }
        }
    }

    struct Enqueue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store action instances given as JSON lines (a file, or - for stdin).",
            discussion: """
                Each line is one action in the original's field names, e.g.
                  {"signal":"abnormal","strategy_id":1,"bk_biz_id":"2","alerts":["a1"],
                   "action_plugin":{"plugin_type":"webhook"},
                   "action_config":{"id":5,"name":"notify cmdb","execute_config":{"timeout":600,
                     "template_detail":{"method":"POST","url":"https://hooks.example.com/fta",
                       "body":{"data_type":"raw","content_type":"json","content":"{\\"alert\\":\\"{{alert.id}}\\"}"},
                       "failed_retry":{"is_enabled":true,"timeout":10,"max_retry_times":2,"retry_interval":60}}}},
                   "dedupe_key":"alert-a1-abnormal-5","due_at":"2026-11-23T10:00:00Z"}
                A line with a dedupe_key already stored is ignored and reported. Bad lines are
                reported with their number on stderr; the good ones are still stored (exit 1).
                Example: fta-tick enqueue --db fta.db actions.jsonl
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "JSON-lines file, or - for standard input.") var file: String = "-"
        @Flag(help: "Print one JSON object per committed batch ({\"lines\":[first,last],\"stored\":[...],\"duplicates\":[...],\"rejected\":[...],\"warnings\":[...]}) instead of one id per line.") var json = false

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            let reader = try LineReader(path: file)
            let store = try env.openStore()
            let source = file == "-" ? "stdin" : file
            StopSignals.install()
            let enqueue = EnqueueRun(store: store, registry: .standard(config: env.config), clock: env.clock)
            // Each committed batch is reported at once (and flushed), so a run that is stopped or
            // killed has already said what it stored.
            let report = try enqueue.run(reader) { batch in
                for r in batch.rejected { CommandOutput.report(source: source, line: r.line, r.reason) }
                for w in batch.warnings { CommandOutput.report(source: source, line: w.line, w.reason, level: "warning") }
                for d in batch.duplicates {
                    CommandOutput.report(source: source, line: d.line, "dedupe_key already stored as action \(d.id); ignored", level: "info")
                }
                var out = ""
                if json {
                    let o: JSONValue = [
                        "lines": [.int(Int64(batch.firstLine)), .int(Int64(batch.lastLine))],
                        "stored": .array(batch.stored.map { ["line": .int(Int64($0.line)), "id": .int($0.id)] }),
                        "duplicates": .array(batch.duplicates.map { ["line": .int(Int64($0.line)), "id": .int($0.id)] }),
                        "rejected": .array(batch.rejected.map { ["line": .int(Int64($0.line)), "error": .string(Redactor.maskText($0.reason))] }),
                        "warnings": .array(batch.warnings.map { ["line": .int(Int64($0.line)), "warning": .string($0.reason)] }),
                    ]
                    out = o.jsonText + "\n"
                } else {
                    for s in batch.stored { out += "\(s.id)\n" }
                }
                FileHandle.standardOutput.write(Data(out.utf8))
            }
            if let line = report.stoppedAfterLine {
                CommandOutput.report("\(source): stopped by a signal after line \(line): lines 1-\(line) are committed as reported; "
                                     + "nothing after line \(line) was read (run the rest again: lines with a dedupe_key already stored are skipped)")
            }
            env.logger.info("enqueue done", metadata: ["stored": "\(report.stored.count)", "duplicates": "\(report.duplicates.count)",
                                                       "rejected": "\(report.rejected.count)", "warnings": "\(report.warnings.count)",
                                                       "lines": "\(report.lastLine)", "source": "\(source)"])
            if !report.rejected.isEmpty || !report.warnings.isEmpty || report.stoppedAfterLine != nil { throw CommandExit(.attention) }
        }
    }

    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create actions from alert events given as JSON lines (a file, or - for stdin).",
            discussion: """
                Each line is one alert event: the signal, the alert and the strategy snapshot with its
                notice and action relations (docs/ingest-format.md), e.g.
                  {"signal":"abnormal","alert":{"id":"a1","strategy_id":7,"severity":1,"status":"ABNORMAL",
                   "begin_time":1763888400,"latest_time":1763888400,"event":{"bk_biz_id":2}},
                   "strategy":{"id":7,"name":"cpu high","notice":{"id":70,"config_id":1,
                     "signal":["abnormal","recovered"],"user_groups":["ops"]}}}
                Action configs are found by id in the event's action_configs or the config file's.
                The notice becomes a parent with one child per notice way and receiver; interval
                repeats follow while the alert stays abnormal; recovered/closed stops them.
                Ingesting the same event again creates nothing new. Bad lines are reported with
                their number on stderr; the good ones are still stored (exit 1).
                Example: fta-tick ingest --db fta.db --config fta.yaml events.jsonl
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "JSON-lines file, or - for standard input.") var file: String = "-"
        @Flag(help: "Print one JSON object per event instead of one new id per line.") var json = false

        func run() throws {
            var env = try global.prepare(label: "fta-tick")
            let reader = try LineReader(path: file)
            let store = try env.openStore()
            env.config.directory = try store.loadDirectory().overlaid(by: env.config.directory)
            for g in try store.applyDuty(to: &env.config.directory, at: env.clock.now()) {
                CommandOutput.report("duty group '\(g)' has nobody on duty and lists no users; its notices reach nobody", level: "warning")
            }
            let source = file == "-" ? "stdin" : file
            var stage = env.config.creationStage(registry: .standard(config: env.config))
            stage.breaker = try store.breakerMatcher(now: env.clock.now())
            StopSignals.install()
            let report = try IngestRun(store: store, stage: stage, clock: env.clock).run(reader) { r in
                CommandOutput.report(source: source, line: r.line, r.reason)
            }
            var out = ""
            for e in report.events {
                for w in e.warnings { CommandOutput.report(source: source, line: e.line, w, level: "warning") }
                for n in e.notes { env.logger.info("\(source) line \(e.line): \(n)") }
                if !e.duplicates.isEmpty {
                    CommandOutput.report(source: source, line: e.line,
                                         "alert \(e.alertId) \(e.signal) already ingested (actions \(e.duplicates.map(String.init).joined(separator: ", "))); nothing new", level: "info")
                }
                if json {
                    let o: JSONValue = [
                        "line": .int(Int64(e.line)), "alert_id": .string(e.alertId), "signal": .string(e.signal),
                        "stored": .array(e.stored.map { .int($0) }), "duplicates": .array(e.duplicates.map { .int($0) }),
                        "stopped_repeats": .int(Int64(e.stoppedRepeats)), "notes": .array(e.notes.map { .string($0) }),
                        "warnings": .array(e.warnings.map { .string($0) }), "held_by_breaker": .int(Int64(e.heldByBreaker)),
                    ]
                    out += o.jsonText + "\n"
                } else {
                    for id in e.stored { out += "\(id)\n" }
                }
            }
            if json {
                for r in report.rejected { out += JSONValue.object(["line": .int(Int64(r.line)), "error": .string(Redactor.maskText(r.reason))]).jsonText + "\n" }
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            env.logger.info("ingest done", metadata: ["events": "\(report.events.count)", "stored": "\(report.storedCount)",
                                                      "duplicates": "\(report.duplicateCount)", "rejected": "\(report.rejected.count)",
                                                      "warnings": "\(report.warningCount)", "held_by_breaker": "\(report.heldByBreaker)",
                                                      "source": "\(source)"])
            if let line = report.stoppedAfterLine {
                CommandOutput.report("\(source): stopped by a signal after line \(line): events up to line \(line) are stored as reported; nothing after it was read")
            }
            if !report.rejected.isEmpty || report.warningCount > 0 || report.stoppedAfterLine != nil { throw CommandExit(.attention) }
        }
    }

    struct Groups: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Users and user groups kept in the database (next to the config file's).",
            subcommands: [Import.self, List.self])

        struct Import: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Store the users and user groups of a YAML file (the config file's users: and user_groups: shape).",
                discussion: """
                    Example: fta-tick groups import --db fta.db directory.yaml
                      users:
                        alice: {email: alice@example.com, phone: "13800000001"}
                      user_groups:
                        ops: {users: [alice], notice_ways: {default: [mail], 1: [mail, sms, voice]}}
                    Stored entries with the same id are replaced; the config file's win over stored ones.
                    """)
            @OptionGroup var global: GlobalOptions
            @Argument(help: "YAML file with users: and user_groups:.") var file: String
            @Flag(help: "Remove stored users and groups that are not in the file.") var replace = false

            func run() throws {
                let env = try global.prepare(label: "fta-tick")
                let store = try env.openStore()
                let known = replace ? [] : Set(try store.loadDirectory().users.keys)
                let directory = try UserSettings.load(path: file, knownUsers: known, environment: ProcessInfo.processInfo.environment)
                let r = try store.saveDirectory(directory, replace: replace, now: env.clock.now())
                print("stored \(r.users) users and \(r.groups) groups" + (replace ? " (\(r.removed) groups removed first)" : ""))
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The user groups in effect: stored ones with the config file's over them.")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print JSON.") var json = false

            func run() throws {
                let env = try global.prepare(label: "fta-tick")
                let directory = try env.openStore().loadDirectory().overlaid(by: env.config.directory)
                let groups = directory.groups.keys.sorted().map { directory.groups[$0]! }
                if json {
                    let out = JSONValue.array(groups.map { g in
                        ["id": .string(g.id), "name": .string(g.name), "users": .array(g.users.map { .string($0) }),
                         "followers": .array(g.followers.map { .string($0) }), "chat_ids": .array(g.chatIds.map { .string($0) }),
                         "notice_ways": .object(Dictionary(uniqueKeysWithValues: g.noticeWays.map { ($0.key == 0 ? "default" : String($0.key), JSONValue.array($0.value.map { .string($0) })) }))]
                    })
                    print(out.jsonText)
                } else {
                    for g in groups {
                        let ways = g.noticeWays.keys.sorted().map { "\($0 == 0 ? "default" : String($0)): \(g.noticeWays[$0]!.joined(separator: ","))" }.joined(separator: "; ")
                        print("\(g.id)\t\(g.name)\tusers: \(g.users.joined(separator: ","))\tways: \(ways)")
                    }
                }
            }
        }
    }

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

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts by status, actions due now, leased now, the age of the oldest due action, interval repeats and breaker rules.",
            discussion: "Example: fta-tick status --db fta.db --json")

        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            let now = env.clock.now()
            let store = try env.openStore()
            let s = try store.queueStatus(now: now, includeHistory: true)
            let repeats = try store.repeatSummary()
            let rules = try store.breakerRules(now: now, includeExpired: false)
            let converging = try store.openConvergeInstances()
            if json {
                let extra: [String: JSONValue] = [
                    "repeats_active": .int(Int64(repeats.active)), "next_repeat_at": repeats.nextAt.map { .int($0) } ?? .null,
                    "breaker_rules": .int(Int64(rules.count)), "converge_instances_open": .int(Int64(converging)),
                ]
                print(TickOutput.json(s, now: now).merging(extra).jsonText)
            } else {
                print(TickOutput.text(s))
                let next = repeats.nextAt.map { " (next in \(OperatorOutput.duration($0 - now)))" } ?? ""
                print("interval repeats: \(repeats.active) active\(next)")
                print("breaker rules: \(rules.count) active" + (rules.isEmpty ? "" : ", holding \(rules.reduce(0) { $0 + $1.held }) actions so far (fta-tick breaker list)"))
                print("converge instances: \(converging) open")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One action: every column (secrets masked) and its log.",
            discussion: "Example: fta-tick show 42 --json")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Action id.") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            let store = try env.openStore()
            guard let (row, log) = try store.action(id: id) else {
                throw FTAError.input("no action with id \(id)")
            }
            let converge = try store.convergeView(actionId: id)
            if json, let converge, case .object(var o) = try JSONParser.parse(TickOutput.show(row: row, log: log, json: true)) {
                o["converge"] = converge
                print(JSONWriter.writePretty(.object(o)))
            } else {
                print(TickOutput.show(row: row, log: log, json: json))
                if let converge, !json {
                    let siblings = (converge["relations"]?.arrayValue ?? []).map { "\($0["id"]?.intValue ?? 0):\($0["status"]?.stringValue ?? "-")" }
                    print("converge instance \(converge["id"]?.intValue ?? 0) (\(converge["converge_func"]?.stringValue ?? "")): \(converge["description"]?.stringValue ?? ""); this action \(converge["converge_status"]?.stringValue ?? "")\(converge["is_primary"]?.boolValue == true ? ", primary" : ""); related: \(siblings.joined(separator: " "))")
                }
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run finished actions again from their first step (the original's manual retry).",
            discussion: "Successful actions are left alone unless --include-success. Example: fta-tick retry 42 43")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Action ids.") var ids: [Int64]
        @Flag(name: .customLong("include-success"), help: "Also re-run actions that succeeded.") var includeSuccess = false
        @Flag(help: "Print JSON.") var json = false

        func validate() throws { if ids.isEmpty { throw ValidationError("give at least one action id") } }

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            let results = try env.openStore().retry(ids: ids, now: env.clock.now(), includeSuccess: includeSuccess)
            try OperatorOutput.print(results, verb: "queued for retry", json: json)
        }
    }

    struct Skip: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Finish live actions as skipped, with a reason.",
            discussion: "Example: fta-tick skip 44 45 --reason \"handled by hand\"")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Action ids.") var ids: [Int64]
        @Option(help: "Why (kept in ex_data.message and the action log).") var reason: String
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if ids.isEmpty { throw ValidationError("give at least one action id") }
            if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must not be empty") }
        }

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            let results = try env.openStore().skip(ids: ids, reason: reason, now: env.clock.now())
            try OperatorOutput.print(results, verb: "skipped", json: json)
        }
    }
}

CommandRunner.main(FtaTick.self) { format, level in
    LoggingSystem.bootstrap { FTALogHandler(label: $0, format: format, level: level) }
}
