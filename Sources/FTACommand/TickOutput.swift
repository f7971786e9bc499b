import Foundation
import FTACore
import FTAPasses

/// What `fta-tick status` and `show` print: the queue status and one action, as text or JSON.
package enum TickOutput {
    package static func json(_ s: QueueStatus, now: Int64) -> JSONValue {
        [
            "total": .int(Int64(s.total)),
            "by_status": .object(s.byStatus.mapValues { .int(Int64($0)) }),
            "due_now": .int(Int64(s.dueNow)), "leased_now": .int(Int64(s.leasedNow)),
            "scheduled_later": .int(Int64(s.scheduledLater)),
            "oldest_due_age_seconds": s.oldestDueAge.map { .int($0) } ?? .null,
            "now": .string(TimeParser.iso(now)),
        ]
    }

    package static func text(_ s: QueueStatus) -> String {
        var lines = ["actions: \(s.total)"]
        for (status, count) in s.byStatus.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(status.padding(toLength: 16, withPad: " ", startingAt: 0)) \(count)")
        }
        lines.append("due now:          \(s.dueNow)")
        lines.append("leased now:       \(s.leasedNow)")
        lines.append("scheduled later:  \(s.scheduledLater)")
        lines.append("oldest due age:   \(s.oldestDueAge.map { "\($0) s" } ?? "-")")
        return lines.joined(separator: "\n")
    }

    /// One action (secrets masked) and its log.
    package static func show(row: JSONValue, log: [ActionLogLine], json: Bool) -> String {
        let masked = Redactor.maskSecrets(row)
        if json {
            let logJSON = JSONValue.array(log.map {
                ["time": .string(TimeParser.iso($0.time)), "step": .string($0.step), "level": .int(Int64($0.level)), "message": .string($0.message)]
            })
            return JSONValue.object(["action": masked, "log": logJSON]).jsonText
        }
        var out = JSONWriter.writePretty(masked) + "\nlog:"
        for l in log {
            let level = [10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"][l.level] ?? "\(l.level)"
            out += "\n  \(TimeParser.iso(l.time))  \(l.step)  \(level)  \(l.message)"
        }
        return out
    }
}
