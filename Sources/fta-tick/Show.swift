import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import FTATransport
import Logging

extension FtaTick {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One action: every column (secrets masked) and its log.",
            discussion: "Example: fta-tick show 42 --json")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "Action id.") var id: Int64
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            let store = try env.openStore()
            guard let (row, log) = try store.action(id: id) else {
                throw FTAError.input("no action with id \(id)")
            }
            let converge = try store.convergeView(actionId: id)
            if json, let converge, case .object(var o) = try JSONParser.parse(TickOutput.show(row: row, log: log, json: true)) {
                o["converge"] = converge
                print(JSONWriter.writePretty(.object(o)))
            } else {
                print(TickOutput.show(row: row, log: log, json: json))
                if let converge, !json {
                    let siblings = (converge["relations"]?.arrayValue ?? []).map { "\($0["id"]?.intValue ?? 0):\($0["status"]?.stringValue ?? "-")" }
                    print("converge instance \(converge["id"]?.intValue ?? 0) (\(converge["converge_func"]?.stringValue ?? "")): \(converge["description"]?.stringValue ?? ""); this action \(converge["converge_status"]?.stringValue ?? "")\(converge["is_primary"]?.boolValue == true ? ", primary" : ""); related: \(siblings.joined(separator: " "))")
                }
            }
        }
    }
}
