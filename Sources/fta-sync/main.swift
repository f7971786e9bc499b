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

CommandRunner.main(FtaSync.self) { format, level in
    LoggingSystem.bootstrap { FTALogHandler(label: $0, format: format, level: level) }
}
