import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import FTAPostgres
import FTATransport
import Logging

extension FtaTick {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts by status, actions due now, leased now, the age of the oldest due action, running passes, interval repeats and breaker rules.",
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
            // A pass refreshes its heartbeat every 5 s; one silent for 30 s has died.
            let passes = try store.runningPasses(now: now, staleAfter: 30)
            let storage = try store.storageStatus()
            // PostgreSQL: a session idle inside a transaction holds locks and keeps vacuum and the
            // export back; say so.
            let idle = try (store as? PostgresStore)?.idleTransactions(olderThan: 60) ?? []
            for i in idle { CommandOutput.report("database: \(i); it holds row locks and delays vacuum and fta-sync", level: "warning") }
            if json {
                let extra: [String: JSONValue] = [
                    "idle_transactions": .array(idle.map { .string($0) }),
                    "passes": .array(passes.map {
                        ["worker": .string($0.workerId), "since": .string(TimeParser.iso($0.startedAt)), "lingering": .bool($0.lingering),
                         "heartbeat": .string(TimeParser.iso($0.heartbeatAt)), "ends_by": .string(TimeParser.iso($0.endsBy))]
                    }),
                    "repeats_active": .int(Int64(repeats.active)), "next_repeat_at": repeats.nextAt.map { .int($0) } ?? .null,
                    "breaker_rules": .int(Int64(rules.count)), "converge_instances_open": .int(Int64(converging)),
                    "storage": Housekeeping.json(storage),
                ]
                print(TickOutput.json(s, now: now).merging(extra).jsonText)
            } else {
                print(TickOutput.text(s))
                if passes.isEmpty { print("passes running:   none") }
                for p in passes {
                    print("pass running:     \(p.workerId) since \(TimeParser.iso(p.startedAt))\(p.lingering ? ", lingering" : "") until \(TimeParser.iso(p.endsBy))")
                }
                let next = repeats.nextAt.map { " (next in \(OperatorOutput.duration($0 - now)))" } ?? ""
                print("interval repeats: \(repeats.active) active\(next)")
                print("breaker rules: \(rules.count) active" + (rules.isEmpty ? "" : ", holding \(rules.reduce(0) { $0 + $1.held }) actions so far (fta-tick breaker list)"))
                print("converge instances: \(converging) open")
                print(Housekeeping.text(storage, now: now))
            }
        }
    }
}
