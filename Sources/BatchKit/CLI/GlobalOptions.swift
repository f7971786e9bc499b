import ArgumentParser
import Foundation
import Logging

/// Flags every command and subcommand accepts (ARCHITECTURE §4), so users need not remember
/// where they go: `fta-tick enqueue --db X --now T -` works as well as `fta-tick --db X`.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("SQLite database file; created with its schema on first use. (env: FTA_DB)", valueName: "path"))
    public var db: String?

    @Option(name: .long, help: ArgumentHelp("YAML config file. Without one, built-in defaults serve. (env: FTA_CONFIG)", valueName: "path"))
    public var config: String?

    @Option(name: .long, help: ArgumentHelp("The clock for the whole run: ISO-8601 or epoch seconds. (env: FTA_NOW)", valueName: "time"))
    public var now: String?

    @Option(name: .customLong("log-format"), help: "Log lines on stderr as text or json.")
    public var logFormat: String = "text"

    @Option(name: .customLong("log-level"), help: "Least level logged: debug, info, warning, error.")
    public var logLevel: String = "info"

    @Option(name: .customLong("metrics-file"), help: ArgumentHelp("Write Prometheus text metrics here (atomically) when the run ends.", valueName: "path"))
    public var metricsFile: String?

    public init() {}

    public var environment: [String: String] { ProcessInfo.processInfo.environment }

    public var databasePath: String { db ?? environment["FTA_DB"] ?? "./fta.db" }

    /// Checks the flags, sets up logging and loads the config: everything a command needs
    /// before it touches the database.
    public func prepare(label: String) throws -> CommandEnvironment {
        guard let format = FTALogHandler.Format(rawValue: logFormat) else {
            throw FTAError.usage("--log-format: '\(logFormat)' is not one of text, json")
        }
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            throw FTAError.usage("--log-level: '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingBootstrap.once(format: format, level: level)
        var clock = Clock.system
        if let text = now ?? environment["FTA_NOW"] {
            guard let t = TimeParser.parse(text) else {
                throw FTAError.usage("--now: '\(text)' is not an ISO-8601 time or epoch seconds")
            }
            clock = .fixed(t)
        }
        let config = try FTAConfig.load(path: config ?? environment["FTA_CONFIG"], environment: environment)
        return CommandEnvironment(config: config, clock: clock, databasePath: databasePath,
                                  metricsFile: metricsFile, logger: Logger(label: label))
    }
}

/// What a command has once its flags are read.
public struct CommandEnvironment {
    public var config: FTAConfig
    public var clock: Clock
    public var databasePath: String
    public var metricsFile: String?
    public var logger: Logger

    public func openDatabase() throws -> FTADatabase {
        try FTADatabase(path: databasePath, settings: config.database)
    }
}

enum LoggingBootstrap {
    nonisolated(unsafe) static var done = false
    static func once(format: FTALogHandler.Format, level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { FTALogHandler(label: $0, format: format, level: level) }
    }
}
