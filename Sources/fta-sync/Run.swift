import ArgumentParser
import Foundation
import FTACommand
import FTACore
import FTAPasses
import FTATransport
import Logging

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
                  fta-sync --linger --max-runtime 55  # from cron every minute: changes out within a second
                Exit: 0 done, 1 some documents were dead-lettered, 3 Elasticsearch unreachable.
                """)
        @OptionGroup var global: GlobalOptions
        @Flag(name: .customLong("dry-run"), help: "Print the NDJSON that would be sent; send nothing.") var dryRun = false
        @Flag(help: "Backfill every exportable row (does not move the live checkpoint).") var full = false
        @Option(help: "Backfill rows updated since this time (ISO-8601, epoch seconds, or 2h).") var since: String?
        @Option(name: .customLong("max-runtime"), help: "Stop starting batches after this many seconds (default 50).") var maxRuntime: Double = 50
        @Flag(help: "After exporting what is there, keep waiting for new changes and export them within about a second, until --max-runtime (live mode only).") var linger = false
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
            if linger {
                guard mode == .live, !dryRun else { throw FTAError.usage("--linger follows the live checkpoint; it cannot be combined with --full, --since or --dry-run") }
                guard env.clock.fixedInstant == nil else { throw FTAError.usage("--linger waits on the real clock; it cannot be combined with --now or FTA_NOW") }
                pass.linger = true
                StopSignals.install()
            }
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
            try env.finish(report, log: "sync done", json: json)
            if report.deadLettered > 0 { throw CommandExit(.attention) }
        }
    }
}
