import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import FTATransport
import Logging

extension FtaTick {
    struct Groups: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Users and user groups kept in the database (next to the config file's).",
            subcommands: [Import.self, List.self])

        struct Import: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Store the users and user groups of a YAML file (the config file's users: and user_groups: shape).",
                discussion: """
                    Example: fta-tick groups import --db fta.db directory.yaml
                      users:
                        alice: {email: alice@example.com, phone: "13800000001"}
                      user_groups:
                        ops: {users: [alice], notice_ways: {default: [mail], 1: [mail, sms, voice]}}
                    Stored entries with the same id are replaced; the config file's win over stored ones.
                    """)
            @OptionGroup var global: GlobalOptions
            @Argument(help: "YAML file with users: and user_groups:.") var file: String
            @Flag(help: "Remove stored users and groups that are not in the file.") var replace = false

            func run() throws {
                let env = try global.prepare(label: "fta-tick")
                let store = try env.openStore()
                let known = replace ? [] : Set(try store.loadDirectory().users.keys)
                let directory = try UserSettings.load(path: file, knownUsers: known, environment: ProcessInfo.processInfo.environment)
                let r = try store.saveDirectory(directory, replace: replace, now: env.clock.now())
                print("stored \(r.users) users and \(r.groups) groups" + (replace ? " (\(r.removed) groups removed first)" : ""))
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The user groups in effect: stored ones with the config file's over them.")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Print JSON.") var json = false

            func run() throws {
                let env = try global.prepare(label: "fta-tick")
                let directory = try env.openStore().loadDirectory().overlaid(by: env.config.directory)
                let groups = directory.groups.keys.sorted().map { directory.groups[$0]! }
                if json {
                    let out = JSONValue.array(groups.map { g in
                        ["id": .string(g.id), "name": .string(g.name), "users": .array(g.users.map { .string($0) }),
                         "followers": .array(g.followers.map { .string($0) }), "chat_ids": .array(g.chatIds.map { .string($0) }),
                         "notice_ways": .object(Dictionary(uniqueKeysWithValues: g.noticeWays.map { ($0.key == 0 ? "default" : String($0.key), JSONValue.array($0.value.map { .string($0) })) }))]
                    })
                    print(out.jsonText)
                } else {
                    for g in groups {
                        let ways = g.noticeWays.keys.sorted().map { "\($0 == 0 ? "default" : String($0)): \(g.noticeWays[$0]!.joined(separator: ","))" }.joined(separator: "; ")
                        print("\(g.id)\t\(g.name)\tusers: \(g.users.joined(separator: ","))\tways: \(ways)")
                    }
                }
            }
        }
    }
}
