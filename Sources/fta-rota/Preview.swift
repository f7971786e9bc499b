import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import Logging

extension FtaRota {
    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The plans of one rule for a window, without touching the database.",
            discussion: """
                Prints {"duty_plans": [...], "state": {...}}: plans in the original's generation order,
                and the rotation state (last_user_index per arrangement, begin_time per duty time).
                Merge the state into the rule and preview the next window to continue the rotation.
                A handoff rule is first replayed from its effective_time to --begin, as the original's
                preview does (--no-align skips that; a rule that carries state is never replayed).
                Example: fta-rota preview --rule rule.json --begin "2026-12-01 00:00:00" --days 14
                """)
        @Option(help: "Rule file (JSON or YAML), or - for stdin.") var rule: String
        @Option(help: "First day, 'YYYY-mm-dd HH:MM:SS' (default: the rule's effective_time).") var begin: String?
        @Option(help: "Days in the window (default 30).") var days: Int?
        @Option(help: "End of the window instead of --days, 'YYYY-mm-dd HH:MM:SS'.") var end: String?
        @Flag(name: .customLong("no-align"), help: "Do not replay a handoff rule from its effective_time.") var noAlign = false

        func run() throws {
            if days != nil, end != nil { throw FTAError.usage("--days and --end: give one of them") }
            if let days, !(1...3660).contains(days) { throw FTAError.usage("--days: must be 1...3660") }
            let name = rule == "-" ? "stdin" : rule
            guard let text = rule == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                    : FileHandle(forReadingAtPath: rule).flatMap({ (try? $0.readToEnd()).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } }) else {
                throw FTAError.input("\(name): cannot read the file")
            }
            let value = try (try? JSONParser.parse(text)) ?? RotaFile.document(text, name: name)
            let parsed: DutyRule
            do { parsed = try DutyRule.parse(value, requireId: false) } catch let e as FTAError { throw FTAError.input("\(name): \(e.description)") }
            if let begin, WallTime.parse(begin) == nil { throw FTAError.usage("--begin '\(begin)': expected YYYY-mm-dd HH:MM:SS") }
            if let end, WallTime.parse(end) == nil { throw FTAError.usage("--end '\(end)': expected YYYY-mm-dd HH:MM:SS") }
            let (plans, state) = DutyGenerator.preview(parsed, begin: begin.flatMap(WallTime.parse)?.text, days: days ?? 30,
                                                       end: end.flatMap(WallTime.parse)?.text, align: !noAlign)
            print(JSONWriter.writePretty(.object(["duty_plans": .array(plans.map(\.json)), "state": state.state])))
        }
    }
}
