import ArgumentParser
import Foundation
import FTACommand
import FTACore
import FTAPostgres
import FTAStore

extension FtaTick {
    struct MigrateDb: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate-db",
            abstract: "Copy a SQLite database into an empty PostgreSQL database (when one host is no longer enough).",
            discussion: """
                Copies actions and their logs, interval repeats, notice gates and digests, users and groups,
                breaker rules, export checkpoints and dead letters, duty rules, snapshots and plans, and
                convergence state, in one transaction: all of it or nothing. The export's checkpoint carries
                over, so fta-sync continues where it was. Stop the cron jobs first, then point --db at the new
                database. Example:
                  fta-tick migrate-db --from /var/lib/fta/fta.db --to postgres://fta@db.example.com/fta
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: "The SQLite file to copy.") var from: String
        @Option(help: "The PostgreSQL database to copy into (postgres://...); it must hold no fta data.") var to: String

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            guard PostgresStore.handles(to) else { throw FTAError.usage("--to: expected a postgres:// or postgresql:// URI") }
            guard !PostgresStore.handles(from) else { throw FTAError.usage("--from: expected the path of a SQLite file") }
            guard FileManager.default.fileExists(atPath: from) else { throw FTAError.usage("--from \(from): no such file") }
            let source = try SQLiteStore(path: from, settings: env.config.database)
            let target = try PostgresStore(url: to, settings: env.config.database)
            var counts: [(String, Int)] = []
            try target.loadTables { load in
                for table in copiedTables {
                    var n = 0
                    try source.readTable(table, batch: 5_000) { columns, rows in
                        try load(table, columns, rows)
                        n += rows.count
                    }
                    counts.append((table, n))
                }
            }
            for (table, n) in counts where n > 0 { print("\(table)\t\(n)") }
            env.logger.info("database copied", metadata: ["from": "\(from)", "to": "\(PGConnection.safeLabel(to))",
                                                          "actions": "\(counts.first { $0.0 == "action_instance" }?.1 ?? 0)"])
        }
    }
}
