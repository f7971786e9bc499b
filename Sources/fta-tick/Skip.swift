import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import FTATransport
import Logging

extension FtaTick {
    struct Skip: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Finish live actions as skipped, with a reason.",
            discussion: "Example: fta-tick skip 44 45 --reason \"handled by hand\"")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Action ids.") var ids: [Int64]
        @Option(help: "Why (kept in ex_data.message and the action log).") var reason: String
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if ids.isEmpty { throw ValidationError("give at least one action id") }
            if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must not be empty") }
        }

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            let results = try env.openStore().skip(ids: ids, reason: reason, now: env.clock.now())
            try OperatorOutput.print(results, verb: "skipped", json: json)
        }
    }
}
