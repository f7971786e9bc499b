import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import Logging

extension FtaRota {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store duty rules and the groups that use them, from a YAML or JSON file.",
            discussion: """
                The file has duty_rules: (the original's rule JSON, each with an id) and user_groups:
                (the config file's group shape plus duty_rules: [ids in priority order],
                timezone: IANA zone (default Asia/Shanghai), duty_notice: {hit_first_duty: true}).
                Everything is checked first: a bad rule or group stores nothing (exit 2).
                Rules and groups with the same id are replaced; the next pass re-plans changed rules.
                Example: fta-rota import --db fta.db rota.yaml
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "YAML/JSON file, or - for stdin.") var file: String

        func run() throws {
            let env = try global.prepare(label: "fta-rota")
            let store = try env.openStore()
            let text = file == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : nil
            let rota = try RotaFile.load(path: file, text: text, storedRuleIds: try store.dutyRuleIds(), environment: ProcessInfo.processInfo.environment)
            try store.saveDutyRules(rota.rules, now: env.clock.now())
            let stored = try store.saveDirectory(rota.directory, replace: false, now: env.clock.now())
            print("stored \(rota.rules.count) duty rules and \(stored.groups) groups" + (stored.users > 0 ? " and \(stored.users) users" : ""))
        }
    }
}
