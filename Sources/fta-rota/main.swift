import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import Logging

/// fta-rota: on-call duty plans from the original's duty rules, one pass per run.
struct FtaRota: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fta-rota",
        abstract: "Compute on-call duty plans for user groups: one pass, then exit (run it from cron).",
        discussion: """
            Examples:
              fta-rota import --db fta.db rota.yaml           store duty rules and duty groups
              fta-rota --db fta.db                            one pass (same as 'fta-rota run')
              fta-rota who ops --db fta.db                    who is on duty now
              fta-rota export ops --format ics > ops.ics      the plans as a calendar feed
              fta-rota preview --rule rule.json --days 14     plans of one rule, no database

            Exit codes: 0 done, 1 done but needs attention (a group names a missing rule or
            an unknown time zone), 2 usage/input error (nothing stored), 3 environment error.
            """,
        version: FTAVersion.string,
        subcommands: [Run.self, Import.self, Preview.self, Who.self, Export.self, Status.self],
        defaultSubcommand: Run.self
    )
}

CommandRunner.main(FtaRota.self) { format, level in
    LoggingSystem.bootstrap { FTALogHandler(label: $0, format: format, level: level) }
}
