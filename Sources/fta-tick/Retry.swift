import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import FTATransport
import Logging

extension FtaTick {
    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run finished actions again from their first step (the original's manual retry).",
            discussion: "Successful actions are left alone unless --include-success. Example: fta-tick retry 42 43")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Action ids.") var ids: [Int64]
        @Flag(name: .customLong("include-success"), help: "Also re-run actions that succeeded.") var includeSuccess = false
        @Flag(help: "Print JSON.") var json = false

        func validate() throws { if ids.isEmpty { throw ValidationError("give at least one action id") } }

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            let results = try env.openStore().retry(ids: ids, now: env.clock.now(), includeSuccess: includeSuccess)
            try OperatorOutput.print(results, verb: "queued for retry", json: json)
        }
    }
}
