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
              fta-tick purge --db fta.db                        remove finished actions older than 7 days

            Exit codes: 0 done, 1 done but needs attention, 2 usage/config/input error,
            3 environment error (database cannot be opened or is locked).
            """,
        version: FTAVersion.string,
        subcommands: [Run.self, Ingest.self, Enqueue.self, Groups.self, Breaker.self, Status.self, Show.self, Retry.self, Skip.self, Purge.self, Render.self, MigrateDb.self],
        defaultSubcommand: Run.self
    )
}

CommandRunner.main(FtaTick.self) { format, level in
    LoggingSystem.bootstrap { FTALogHandler(label: $0, format: format, level: level) }
}
