import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import Logging

/// Duty groups: stored ones with the config file's over them.
func directory(_ env: CommandEnvironment, _ store: any DirectoryStore) throws -> UserDirectory {
    try store.loadDirectory().overlaid(by: env.config.directory)
}

func dutyGroup(_ id: String, in directory: UserDirectory) throws -> (UserGroup, ZoneClock) {
    guard let group = directory.groups[id] else {
        let known = directory.groups.values.filter(\.needDuty).map(\.id).sorted()
        throw FTAError.usage("group '\(id)' is not known" + (known.isEmpty ? " (no duty groups are stored; see fta-rota import)" : " (duty groups: \(known.joined(separator: ", ")))"))
    }
    guard group.needDuty else { throw FTAError.usage("group '\(id)' has no duty rules (need_duty is false)") }
    guard let clock = ZoneClock(identifier: group.timezone) else { throw FTAError.config("group '\(id)': timezone '\(group.timezone)' is not an IANA zone") }
    return (group, clock)
}

/// A time given on the command line: a wall-clock time in the group's zone
/// (`2026-03-29 09:00[:00]`), or an instant (ISO-8601 with a zone, or epoch seconds).
func instant(_ text: String, _ flag: String, clock: ZoneClock) throws -> Int64 {
    if let w = WallTime.parse(text) { return clock.instant(of: w) }
    if let t = TimeParser.parse(text) { return t }
    throw FTAError.usage("\(flag) '\(text)': expected 'YYYY-MM-DD HH:MM[:SS]' (the group's wall clock), ISO-8601 with a zone, or epoch seconds")
}
