import ArgumentParser
import Foundation
import FTAConfig
import FTACore
import FTAPostgres
import FTAStore
import FTATransport
import Logging

/// Flags every command and subcommand accepts (architecture.md, "Contracts"), so users need not remember
/// where they go: `fta-tick enqueue --db X --now T -` works as well as `fta-tick --db X`.
package struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("SQLite database file; created with its schema on first use. (env: FTA_DB)", valueName: "path"))
    package var db: String?

    @Option(name: .long, help: ArgumentHelp("YAML config file. Without one, built-in defaults serve. (env: FTA_CONFIG)", valueName: "path"))
    package var config: String?

    @Option(name: .long, help: ArgumentHelp("The clock for the whole run: ISO-8601 or epoch seconds. (env: FTA_NOW)", valueName: "time"))
    package var now: String?

    @Option(name: .customLong("log-format"), help: "Log lines and per-line reports on stderr as text or json.")
    package var logFormat: String = "text"

    @Option(name: .customLong("log-level"), help: "Least level logged: trace, debug, info, notice, warning, error, critical.")
    package var logLevel: String = "info"

    @Option(name: .customLong("metrics-file"), help: ArgumentHelp("Write Prometheus text metrics here (atomically) when the run ends.", valueName: "path"))
    package var metricsFile: String?

    package init() {}

    package var environment: [String: String] { ProcessInfo.processInfo.environment }

    package var databasePath: String { db ?? environment["FTA_DB"] ?? "./fta.db" }

    /// Checks the flags, sets up logging and loads the config: everything a command needs
    /// before it touches the database.
    package func prepare(label: String) throws -> CommandEnvironment {
        // Both choices are read the same way: any case, and the error lists every value.
        guard let format = FTALogHandler.Format(rawValue: logFormat.lowercased()) else {
            throw FTAError.usage("--log-format: '\(logFormat)' is not one of \(FTALogHandler.Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            throw FTAError.usage("--log-level: '\(logLevel)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        CommandRunner.startLogging(format: format, level: level)
        CommandOutput.label = label
        var clock = Clock.system
        if let text = now ?? environment["FTA_NOW"] {
            guard let t = TimeParser.parse(text) else {
                throw FTAError.usage("--now: '\(text)': \(TimeParser.expected)")
            }
            clock = .fixed(t)
        }
        if let metricsFile { try MetricsFile.checkTarget(metricsFile) }
        let config = try FTAConfig.load(path: config ?? environment["FTA_CONFIG"], environment: environment)
        return CommandEnvironment(config: config, clock: clock, databasePath: databasePath,
                                  metricsFile: metricsFile, logger: Logger(label: label))
    }
}

/// Where a command's one-line reports go (rejected lines, warnings, the final error): stderr, in
/// the run's `--log-format`, masked and escaped like log lines.
package enum CommandOutput {
    nonisolated(unsafe) static var format = FTALogHandler.Format.text
    nonisolated(unsafe) static var label = "fta"

    /// One report. Text: `fta-tick: <message>`; JSON: one object with `level`, `message` and
    /// `fields` (for a line of input: `source` and `line`).
    package static func report(_ message: String, level: String = "error", fields: [(String, JSONValue)] = []) {
        switch format {
        case .text:
            let text = "\(label): " + MessageText.escaped(Redactor.maskText(message))
            fputs(text + "\n", stderr)
        case .json:
            FTALogHandler.emit(label: label, format: .json, level: level, message: message, fields: fields)
        }
    }

    /// A report about one line of input: `fta-tick: <source> line <n>: <message>` in text.
    package static func report(source: String, line: Int, _ message: String, level: String = "error") {
        switch format {
        case .text: report("\(source) line \(line): \(message)", level: level)
        case .json: report(message, level: level, fields: [("source", .string(source)), ("line", .int(Int64(line)))])
        }
    }
}

/// What a command has once its flags are read.
package struct CommandEnvironment {
    package var config: FTAConfig
    package var clock: Clock
    package var databasePath: String
    package var metricsFile: String?
    package var logger: Logger

    /// The store the commands work on: PostgreSQL when `--db` is a `postgres://` URI, else
    /// the SQLite file at that path.
    package func openStore() throws -> any FTAStore {
        if PostgresStore.handles(databasePath) {
            return try PostgresStore(url: databasePath, settings: config.database, serverClock: clock.fixedInstant == nil)
        }
        return try SQLiteStore(path: databasePath, settings: config.database)
    }
}
