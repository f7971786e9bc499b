import Foundation

/// Prints the per-id results of `retry` / `skip`; exits 1 when any id was refused or unknown.
public enum OperatorOutput {
    public static func print(_ results: [ActionStore.OperatorResult], verb: String, json: Bool) throws {
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
            case .refused(let id, let why):
                failed = true
                items.append(["id": .int(id), "result": "refused", "reason": .string(why)])
                lines.append("\(id) refused: \(why)")
            }
        }
        Swift.print(json ? JSONValue.array(items).jsonText : lines.joined(separator: "\n"))
        if failed { throw CommandExit(.attention) }
    }
}
