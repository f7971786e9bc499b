import Foundation
import FTAConfig
import FTACore

/// What `fta-tick purge` and `status` say about the store's size and its purge.
package enum Housekeeping {
    /// The export target the config names (when it exports at all): its checkpoint must have
    /// passed an action before a purge removes it.
    package static func exportTargets(_ config: FTAConfig) -> [String] {
        config.elasticsearch.urls.isEmpty ? [] : [config.elasticsearch.target]
    }

    /// What a purge at `now` may remove: actions older than `days` (default
    /// `tick.purge_after_days`), the config's export target kept in mind.
    package static func policy(_ config: FTAConfig, days: Int? = nil, now: Int64, batch: Int = 1_000) -> PurgePolicy {
        PurgePolicy(before: InputLimits.add(now, -Int64(days ?? config.tick.purgeAfterDays) * 86_400), exportTargets: exportTargets(config), batch: batch)
    }

    /// The bounded purge at the end of a pass (`tick.purge_per_pass`; 0: none); how many went.
    /// The file is not rewritten here: only free pages are given back.
    package static func purgeAfterPass(_ store: any FTAStore, config: FTAConfig, now: Int64) throws -> Int {
        guard config.tick.purgePerPass > 0 else { return 0 }
        let purged = try store.purge(policy(config, now: now), limit: config.tick.purgePerPass).actions
        if purged > 0 { _ = try store.reclaimSpace(convert: false) }
        return purged
    }

    /// `bytes` in KiB, MiB or GiB, one decimal.
    package static func size(_ bytes: Int64) -> String {
        let b = Double(max(0, bytes))
        if b < 1024 * 1024 { return String(format: "%.1f KiB", b / 1024) }
        if b < 1024 * 1024 * 1024 { return String(format: "%.1f MiB", b / 1_048_576) }
        return String(format: "%.1f GiB", b / 1_073_741_824)
    }

    package static func json(_ r: PurgeResult, freed: Int64, storage: StorageStatus, days: Int) -> JSONValue {
        ["purged": .int(Int64(r.actions)), "log_lines": .int(Int64(r.logLines)), "converge_relations": .int(Int64(r.convergeRelations)),
         "converge_instances": .int(Int64(r.convergeInstances)), "repeats": .int(Int64(r.repeats)),
         "kept_unexported": .int(Int64(r.keptUnexported)), "more": .bool(r.more), "older_than_days": .int(Int64(days)),
         "bytes_freed": .int(freed), "storage": json(storage)]
    }

    package static func json(_ s: StorageStatus) -> JSONValue {
        ["bytes": .int(s.bytes), "free_bytes": .int(s.freeBytes), "actions": .int(Int64(s.actions)),
         "oldest_create_time": s.oldestCreateTime.map { .int($0) } ?? .null]
    }

    package static func text(_ r: PurgeResult, freed: Int64, storage: StorageStatus, days: Int) -> String {
        var lines = ["purged \(r.actions) finished actions older than \(days) days (\(r.logLines) log lines, \(r.convergeRelations) converge relations, "
                     + "\(r.convergeInstances) converge instances, \(r.repeats) stopped repeats)"]
        if r.keptUnexported > 0 { lines.append("kept \(r.keptUnexported) old actions fta-sync has not exported yet") }
        if r.more { lines.append("more remain: the --limit was reached; run again") }
        lines.append("gave back \(size(freed)); " + text(storage))
        return lines.joined(separator: "\n")
    }

    package static func text(_ s: StorageStatus, now: Int64? = nil) -> String {
        var t = "database: \(size(s.bytes))"
        if s.freeBytes > 0 { t += " (\(size(s.freeBytes)) free)" }
        t += ", \(s.actions) actions"
        if let oldest = s.oldestCreateTime {
            t += ", oldest from \(TimeParser.iso(oldest))"
            if let now { t += " (\(OperatorOutput.duration(now - oldest)) ago)" }
        }
        return t
    }
}
