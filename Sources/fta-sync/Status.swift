import ArgumentParser
import Foundation
import FTACommand
import FTACore
import FTAPasses
import Logging

extension FtaSync {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Checkpoint, lag in changes and seconds, dead letters.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let env = try global.prepare(label: "fta-sync")
            let target = env.config.elasticsearch.target
            let store = try env.openStore()
            let lag = try store.syncLag(target, now: env.clock.now())
            let dead = try store.deadLetters(target)
            if json {
                print(JSONValue.object([
                    "target": .string(target), "checkpoint": .int(lag.checkpoint.seq), "position": .string(lag.checkpoint.description), "held_by": lag.heldBy.map { .string($0) } ?? .null, "latest_change": .int(lag.latest),
                    "pending_changes": .int(Int64(lag.pendingChanges)), "lag_seconds": .int(lag.pendingSeconds),
                    "dead_letters": .array(dead.map { ["action_id": .int($0.actionId), "reason": .string($0.reason)] }),
                    "exported_total": .int(Int64(lag.exported)), "last_run": lag.lastRun.map { .int($0) } ?? .null,
                ]).jsonText)
                return
            }
            print("target \(target): checkpoint \(lag.checkpoint) of \(lag.latest); \(lag.pendingChanges) changes pending (oldest \(lag.pendingSeconds) s); \(dead.count) dead letters")
            if let held = lag.heldBy { print("  waiting behind: \(held)") }
            for d in dead.prefix(20) { print("  dead: action \(d.actionId): \(d.reason)") }
        }
    }
}
