import ArgumentParser
import Foundation
import FTACommand
import FTACore
import FTAPasses
import Logging

/// fta-sync: exports action records to Elasticsearch, incrementally and without loss.
struct FtaSync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fta-sync",
        abstract: "Export action records to Elasticsearch (bulk API, incremental, idempotent).",
        subcommands: [Run.self, Status.self, RetryDead.self],
        defaultSubcommand: Run.self
    )
}

extension FtaSync {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One pass: export every change after the checkpoint (the default command).",
            discussion: """
                Documents go to <prefix>_YYYYMMDD (UTC date of create_time) with _id <create_ts><id>,
                versioned by the change number so an older write never overwrites a newer one.
                Examples:
                  fta-sync --db fta.db --config fta.yaml
                  fta-sync --dry-run | head          # the NDJSON it would send
                  fta-sync --full                    # backfill everything; the live checkpoint stays
                  fta-sync --since 2026-11-01T00:00:00Z
                Exit: 0 done, 1 some documents were dead-lettered, 3 Elasticsearch unreachable.
                """)
        @OptionGroup var global: GlobalOptions
        @Flag(name: .customLong("dry-run"), help: "Print the NDJSON that would be sent; send nothing.") var dryRun = false
        @Flag(help: "Backfill every exportable row (does not move the live checkpoint).") var full = false
        @Option(help: "Backfill rows updated since this time (ISO-8601, epoch seconds, or 2h).") var since: String?
        @Option(name: .customLong("max-runtime"), help: "Stop starting batches after this many seconds (default 50).") var maxRuntime: Double = 50
        @Flag(help: "Print the report as JSON.") var json = false

        func run() throws {
            let env = try global.prepare(label: "fta-sync")
            var mode = SyncPass.Mode.live
            if full { mode = .backfill(since: nil) }
            if let since {
                guard !full else { throw FTAError.usage("--since and --full: give one") }
                if let d = TimeParser.duration(since), Int64(since) == nil {
                    mode = .backfill(since: env.clock.now() - d)
                } else if let t = TimeParser.parse(since) {
                    mode = .backfill(since: t)
                } else {
                    throw FTAError.usage("--since '\(since)': expected ISO-8601, epoch seconds or a duration back from now (2h)")
                }
            }
            guard maxRuntime > 0, maxRuntime <= 86_400 else { throw FTAError.usage("--max-runtime: must be more than 0 and at most 86400 seconds") }
            let pass = SyncPass(store: try env.openStore(), settings: env.config.elasticsearch, clock: env.clock, logger: env.logger)
            pass.maxRuntime = maxRuntime
            if dryRun {
                let n = try pass.dryRun(mode: mode) { bytes in FileHandle.standardOutput.write(Data(bytes)) }
                CommandOutput.report("\(n) documents would be sent", level: "info")
                return
            }
            if mode != .live, isatty(2) == 1 {
                let t0 = Date()
                pass.progress = { r in
                    let rate = Double(r.exported) / max(0.001, Date().timeIntervalSince(t0))
                    fputs("\rexported \(r.exported)  skipped \(r.skipped)  dead \(r.deadLettered)  \(Int(rate)) docs/s   ", stderr)
                }
            }
            let report = try pass.run(mode: mode)
            if pass.progress != nil { fputs("\n", stderr) }
            if json {
                print(JSONValue.object([
                    "exported": .int(Int64(report.exported)), "skipped": .int(Int64(report.skipped)), "dead_lettered": .int(Int64(report.deadLettered)),
                    "retried_items": .int(Int64(report.retriedItems)), "requests": .int(Int64(report.requests)), "checkpoint": .int(report.checkpoint),
                    "seconds": .double(report.seconds),
                ]).jsonText)
            }
            env.logger.info("sync done", metadata: [
                "exported": "\(report.exported)", "skipped": "\(report.skipped)", "dead_lettered": "\(report.deadLettered)",
                "retried_items": "\(report.retriedItems)", "requests": "\(report.requests)", "checkpoint": "\(report.checkpoint)",
                "seconds": "\(String(format: "%.3f", report.seconds))", "mode": "\(mode == .live ? "live" : "backfill")",
            ])
            if let path = env.metricsFile {
                try MetricsFile.write([
                    .init(name: "fta_sync_exported", help: "Documents acknowledged by the last run.", samples: [.init("fta_sync_exported", [], Double(report.exported))]),
                    .init(name: "fta_sync_dead_lettered", help: "Documents refused by the last run.", samples: [.init("fta_sync_dead_lettered", [], Double(report.deadLettered))]),
                    .init(name: "fta_sync_checkpoint", help: "Change number exported up to.", samples: [.init("fta_sync_checkpoint", [], Double(report.checkpoint))]),
                    .init(name: "fta_sync_duration_seconds", help: "Wall time of the last run.", samples: [.init("fta_sync_duration_seconds", [], report.seconds)]),
                ], to: path)
            }
            if report.deadLettered > 0 { throw CommandExit(.attention) }
        }
    }

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
                    "target": .string(target), "checkpoint": .int(lag.checkpoint), "latest_change": .int(lag.latest),
                    "pending_changes": .int(Int64(lag.pendingChanges)), "lag_seconds": .int(lag.pendingSeconds),
                    "dead_letters": .array(dead.map { ["action_id": .int($0.actionId), "reason": .string($0.reason)] }),
                    "exported_total": .int(Int64(lag.exported)), "last_run": lag.lastRun.map { .int($0) } ?? .null,
                ]).jsonText)
                return
            }
            print("target \(target): checkpoint \(lag.checkpoint) of \(lag.latest); \(lag.pendingChanges) changes pending (oldest \(lag.pendingSeconds) s); \(dead.count) dead letters")
            for d in dead.prefix(20) { print("  dead: action \(d.actionId): \(d.reason)") }
        }
    }

    struct RetryDead: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry-dead", abstract: "Send the dead-lettered documents again (after a mapping fix).")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let env = try global.prepare(label: "fta-sync")
            let pass = SyncPass(store: try env.openStore(), settings: env.config.elasticsearch, clock: env.clock, logger: env.logger)
            let (sent, failed) = try pass.retryDead()
            print("retried dead letters: \(sent) exported, \(failed) still refused")
            if failed > 0 { throw CommandExit(.attention) }
        }
    }
}

CommandRunner.main(FtaSync.self) { format, level in
    LoggingSystem.bootstrap { FTALogHandler(label: $0, format: format, level: level) }
}
