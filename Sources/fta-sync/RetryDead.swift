import ArgumentParser
import Foundation
import FTACommand
import FTACore
import FTAPasses
import Logging

extension FtaSync {
    struct RetryDead: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry-dead", abstract: "Send the dead-lettered documents again (after a mapping fix).")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let env = try global.prepare(label: "fta-sync")
            let pass = SyncPass(store: try env.openStore(), settings: env.config.elasticsearch, clock: env.clock, logger: env.logger)
            let (sent, failed) = try pass.retryDead()
            print("retried dead letters: \(sent) exported, \(failed) still refused")
            if failed > 0 { throw CommandExit(.attention) }
        }
    }
}
