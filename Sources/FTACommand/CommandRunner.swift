import ArgumentParser
import Foundation
import FTACore
import Logging

/// Runs a command and maps every way it can end to the documented exit codes: help → 0,
/// usage/config/input errors → 2, environment errors → 3, with one line on stderr.
package enum CommandRunner {
    /// Sets up logging once the flags are read; the executable provides it (it calls
    /// `LoggingSystem.bootstrap`, which only an executable should do).
    nonisolated(unsafe) static var logging: ((FTALogHandler.Format, Logger.Level) -> Void)?
    nonisolated(unsafe) static var loggingStarted = false

    /// Called by ``GlobalOptions/prepare(label:)``: starts logging at most once per process.
    static func startLogging(format: FTALogHandler.Format, level: Logger.Level) {
        CommandOutput.format = format
        guard !loggingStarted else { return }
        loggingStarted = true
        logging?(format, level)
    }

    /// Runs `type`, mapping every end to an exit code; `logging` bootstraps swift-log with the
    /// run's format and level.
    package static func main<C: ParsableCommand>(_ type: C.Type, arguments: [String]? = nil,
                                               logging: @escaping (FTALogHandler.Format, Logger.Level) -> Void) -> Never {
        CommandRunner.logging = logging
        let args = arguments ?? Array(CommandLine.arguments.dropFirst())
        do {
            var command = try type.parseAsRoot(args)
            try command.run()
            exit(0)
        } catch let error as FTAError {
            fail(type, error.description, code: error.exitStatus)
        } catch let error as CommandExit {
            exit(error.status.rawValue)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            let code = type.exitCode(for: error)
            if code == .success {
                // --help, --version: ArgumentParser prints them.
                type.exit(withError: error)
            }
            let message = type.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            fail(type, message + " (see --help)", code: .usage)
        }
    }

    static func fail<C: ParsableCommand>(_ type: C.Type, _ message: String, code: ExitStatus) -> Never {
        let name = type.configuration.commandName ?? "fta"
        switch CommandOutput.format {
        case .text: fputs("\(name): error: \(MessageText.escaped(Redactor.maskText(message)))\n", stderr)
        case .json:
            CommandOutput.label = name
            CommandOutput.report(message, level: "error", fields: [("exit_code", .int(Int64(code.rawValue)))])
        }
        exit(code.rawValue)
    }
}
