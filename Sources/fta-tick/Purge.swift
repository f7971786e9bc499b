import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore

extension FtaTick {
    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove finished actions older than the retention (default 7 days), with their logs and relations, then give the space back.",
            discussion: """
                Never removes a live action, one an interval repeat still copies from, or one fta-sync has not
                exported yet (every export target with a checkpoint, and the configured one, must have passed it).
                Bounded by --limit; run it daily from cron. Example: fta-tick purge --db fta.db --older-than 14
                """)

        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("older-than"), help: ArgumentHelp("Days since an action's last change (default: tick.purge_after_days, 7).", valueName: "days"))
        var olderThan: Int?
        @Option(help: "At most this many actions per run.") var limit = 100_000
        @Option(help: "Actions per transaction.") var batch = 1_000
        @Flag(name: .customLong("no-vacuum"), help: "Leave the freed pages in the file (SQLite).") var noVacuum = false
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if let d = olderThan, !(1...36_500).contains(d) { throw ValidationError("--older-than \(d) is out of range 1...36500 (days)") }
            if !(1...100_000_000).contains(limit) { throw ValidationError("--limit \(limit) is out of range 1...100000000") }
            if !(1...100_000).contains(batch) { throw ValidationError("--batch \(batch) is out of range 1...100000") }
        }

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            let store = try env.openStore()
            let days = olderThan ?? env.config.tick.purgeAfterDays
            let now = env.clock.now()
            let policy = Housekeeping.policy(env.config, days: days, now: now, batch: batch)
            let result = try store.purge(policy, limit: limit)
            let freed = noVacuum ? 0 : try store.reclaimSpace(convert: true)
            let storage = try store.storageStatus()
            if json {
                print(Housekeeping.json(result, freed: freed, storage: storage, days: days).jsonText)
            } else {
                print(Housekeeping.text(result, freed: freed, storage: storage, days: days))
            }
        }
    }
}
