import ArgumentParser
import Foundation
import FTAActions
import FTACommand
import FTACore
import FTAPasses
import Logging

/// fta-replay: re-sends the notices the circuit breaker held back, once the storm is over.
struct FtaReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fta-replay",
        abstract: "Re-send notices the circuit breaker held back (status blocked, with their rendered send saved).",
        discussion: """
            Selects held notices, refuses while a breaker rule still matches one of them (unless
            --force), sends each through the configured channel at most --rate per second, and
            marks each row (success, or failure that stays replayable) so a second run never
            resends it.
            Examples:
              fta-replay --db fta.db --config fta.yaml --dry-run
              fta-replay --db fta.db --config fta.yaml --strategy 12345 --since 2026-11-23T08:00:00Z --rate 20
              fta-replay --db fta.db --config fta.yaml --way mail --digest
            Exit: 0 all sent, 1 some failed (they stay replayable) or refused, 2 bad usage.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Strategy id (repeatable).") var strategy: [Int64] = []
    @Option(help: "Business id (repeatable).") var biz: [String] = []
    @Option(help: "Notice way (repeatable): mail, sms, voice, ...") var way: [String] = []
    @Option(help: "Held notices created at or after this time (ISO-8601, epoch seconds, or 2h for two hours ago).") var since: String?
    @Option(help: "Held notices created before this time.") var until: String?
    @Option(help: "Action id (repeatable).") var id: [Int64] = []
    @Option(help: "At most this many notices.") var limit: Int?
    @Option(help: "Sends per second (default 10).") var rate: Double = 10
    @Flag(name: .customLong("dry-run"), help: "List what would be sent; send nothing.") var dryRun = false
    @Flag(help: "Send even while a breaker rule still matches.") var force = false
    @Flag(help: "One message per receiver list and way, folding their held notices.") var digest = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let env = try global.prepare(label: "fta-replay")
        guard rate > 0, rate <= 10_000 else { throw FTAError.usage("--rate: must be more than 0 and at most 10000") }
        if let limit, limit < 1 { throw FTAError.usage("--limit: must be at least 1") }
        var filter = HeldFilter()
        filter.strategies = strategy
        filter.bizIds = biz
        filter.ways = way
        filter.ids = id
        filter.limit = limit
        // A time, or a duration back from now (`2h`).
        func time(_ text: String, _ flag: String) throws -> Int64 {
            if let d = TimeParser.duration(text), Int64(text) == nil { return env.clock.now() - d }
            guard let t = TimeParser.parse(text) else { throw FTAError.usage("\(flag) '\(text)': expected ISO-8601, epoch seconds or a duration back from now (2h)") }
            return t
        }
        if let since { filter.since = try time(since, "--since") }
        if let until { filter.until = try time(until, "--until") }
        let store = try env.openStore()
        let held = try store.heldNotices(filter)

        if dryRun {
            if json {
                print(Redactor.maskSecrets(JSONValue.array(held.map { h in
                    let s = h.sends.first
                    return ["id": .int(h.id), "create_time": .int(h.createTime), "strategy_id": .int(h.strategyId), "bk_biz_id": .string(h.bkBizId),
                            "signal": .string(h.signal), "way": .string(h.way), "receivers": s?["receivers"] ?? .array([]),
                            "addresses": s?["addresses"] ?? .array([]), "title": s?["title"] ?? "", "status": .string(h.status)]
                })).jsonText)
            } else {
                print("id\tcreated\tstrategy\tbiz\tway\treceivers\ttitle")
                for h in held {
                    let s = h.sends.first
                    let receivers = (s?["receivers"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
                    let line = "\(h.id)\t\(TimeParser.iso(h.createTime))\t\(h.strategyId)\t\(h.bkBizId)\t\(h.way)\t\(receivers)\t\(s?["title"]?.stringValue ?? "")"
                    print(MessageText.escaped(Redactor.maskText(line)).replacingOccurrences(of: "\\t", with: "\t"))
                }
                CommandOutput.report("\(held.count) held notices would be sent", level: "info")
            }
            return
        }
        if held.isEmpty {
            CommandOutput.report("no held notices match", level: "info")
            return
        }
        if !force {
            let byRule = ReplayRun.stillHeld(held, by: try store.breakerMatcher(now: env.clock.now()))
            if !byRule.isEmpty {
                let total = byRule.values.reduce(0, +)
                let rules = byRule.keys.sorted().map(String.init).joined(separator: ", ")
                CommandOutput.report("\(total) of the \(held.count) selected notices still match breaker rule \(rules); remove the rule (fta-tick breaker remove \(rules)) or use --force")
                throw CommandExit(.attention)
            }
        }
        var replay = ReplayRun(store: store, channels: NoticeChannels.make(env.config.channels), settings: env.config.tick, clock: env.clock)
        replay.rate = rate
        replay.digest = digest
        let terminal = isatty(2) == 1
        let outcomes = try replay.run(held) { p in
            if terminal { fputs("\rsent \(p.sent)  failed \(p.failed)  left \(p.left)   ", stderr) }
        }
        if terminal { fputs("\n", stderr) }
        let summary = ReplayRun.Summary(selected: held.count, outcomes: outcomes)
        if !json {
            for o in outcomes where !o.ok { CommandOutput.report("action \(o.id): \(o.message)") }
            print("replayed \(outcomes.count) held notices: \(summary.sent) sent, \(summary.failed) failed")
        }
        try env.finish(summary, log: "replay done", json: json)
        if summary.failed > 0 { throw CommandExit(.attention) }
    }
}
