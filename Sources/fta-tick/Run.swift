import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import FTATransport
import Logging

extension FtaTick {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One pass: sweep timeouts, claim due actions with a lease, run them, record outcomes.",
            discussion: """
                By default the pass drains what is due and exits. With --linger it keeps serving until
                --max-runtime: new rows are picked up within a fraction of a second, retries and polls
                run when they are due. Under cron, run it every minute with a runtime just below:
                  * * * * * flock -n /run/lock/fta-tick.lock fta-tick run --linger --max-runtime 55
                Example: fta-tick run --db fta.db --concurrency 32 --max-runtime 50 --metrics-file /var/lib/node_exporter/fta_tick.prom
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: "Actions claimed per transaction (default 500, or tick.batch).") var batch: Int?
        @Option(help: "Actions run at once (default 16, or tick.concurrency).") var concurrency: Int?
        @Option(help: "Seconds until this pass's claims may be taken over (default 120, or tick.lease).") var lease: Double?
        @Option(name: .customLong("max-runtime"), help: "Stop claiming near this many seconds (default 50, or tick.max_runtime).") var maxRuntime: Double?
        @Option(name: .customLong("worker-id"), help: "Lease owner name (default host:pid).") var workerId: String?
        @Flag(help: "After draining, keep waiting for rows that come due or are added (by ingest, enqueue, retry) and run them at once, until --max-runtime.") var linger = false
        @Flag(help: "Print the pass report as JSON on stdout.") var json = false

        func run() throws {
            var env = try global.prepare(label: "fta-tick")
            var options = TickOptions(settings: env.config.tick, workerId: workerId)
            if let batch { guard (1...100_000).contains(batch) else { throw FTAError.usage("--batch: must be 1...100000") }; options.batch = batch }
            if let concurrency { guard (1...512).contains(concurrency) else { throw FTAError.usage("--concurrency: must be 1...512") }; options.concurrency = concurrency }
            if let lease { guard (1...86_400).contains(lease) else { throw FTAError.usage("--lease: must be 1...86400 seconds") }; options.lease = lease }
            if let maxRuntime { guard maxRuntime > 0, maxRuntime <= 86_400 else { throw FTAError.usage("--max-runtime: must be more than 0 and at most 86400 seconds") }; options.maxRuntime = maxRuntime }
            if linger {
                guard env.clock.fixedInstant == nil else { throw FTAError.usage("--linger waits on the real clock; it cannot be combined with --now or FTA_NOW") }
                options.linger = true
            }
            let store = try env.openStore()
            env.config.directory = try store.loadDirectory().overlaid(by: env.config.directory)
            for g in try store.applyDuty(to: &env.config.directory, at: env.clock.now()) {
                env.logger.warning("duty group has nobody on duty and lists no users; its notices reach nobody", metadata: ["group": "\(g)"])
            }
            StopSignals.install()
            let pass = TickPass(store: store, registry: .standard(config: env.config), options: options,
                                settings: env.config.tick, clock: env.clock, logger: env.logger)
            pass.creation = env.config.creationStage(registry: .standard(config: env.config))
            var report = try pass.run()
            if !StopSignals.requested { report.purged = try Housekeeping.purgeAfterPass(store, config: env.config, now: env.clock.now()) }
            if env.metricsFile != nil { report.queue = try store.queueStatus(now: report.endedAt, includeHistory: false) }
            try env.finish(report, log: "pass done", json: json)
        }
    }
}
