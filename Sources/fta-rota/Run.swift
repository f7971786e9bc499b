import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import Logging

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
            let summary = try RotaPass(store: store).run(directory: try directory(env, store), at: env.clock.now())
            try env.finish(summary, log: "pass done", json: json)
            for m in summary.missingRules { env.logger.warning("group refers to a duty rule that is not stored", metadata: ["group_rule": "\(m)"]) }
            for z in summary.badZones { env.logger.warning("group has an unknown time zone; not planned", metadata: ["group_timezone": "\(z)"]) }
            if !summary.missingRules.isEmpty || !summary.badZones.isEmpty { throw CommandExit(.attention) }
        }
    }
}
