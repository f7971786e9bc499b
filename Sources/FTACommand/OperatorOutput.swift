import Foundation
import FTACore

/// Prints the per-id results of `retry` / `skip`; exits 1 when any id was refused or unknown.
package enum OperatorOutput {
    /// `42s`, `5m`, `3h12m`, `2d4h`.
    package static func duration(_ seconds: Int64) -> String {
        let s = max(0, seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { return s % 3600 / 60 == 0 ? "\(s / 3600)h" : "\(s / 3600)h\(s % 3600 / 60)m" }
        return s % 86400 / 3600 == 0 ? "\(s / 86400)d" : "\(s / 86400)d\(s % 86400 / 3600)h"
    }

    package static func print(_ results: [OperatorResult], verb: String, json: Bool) throws {
        var failed = false
        var items: [JSONValue] = []
        var lines: [String] = []
        for r in results {
            switch r {
            case .done(let id):
                items.append(["id": .int(id), "result": "done"])
                lines.append("\(id) \(verb)")
            case .notFound(let id):
                failed = true
                items.append(["id": .int(id), "result": "not_found"])
                lines.append("\(id) not found")
                CommandOutput.report("action \(id): not found; nothing \(verb)")
            case .refused(let id, let why):
                failed = true
                items.append(["id": .int(id), "result": "refused", "reason": .string(why)])
                lines.append("\(id) refused: \(why)")
                CommandOutput.report("action \(id): refused: \(why)")
            }
        }
        Swift.print(json ? JSONValue.array(items).jsonText : lines.joined(separator: "\n"))
        if failed { throw CommandExit(.attention) }
    }
}
