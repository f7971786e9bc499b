import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import Logging

extension FtaRota {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Duty groups, their rules, snapshots and how far ahead they are planned.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let env = try global.prepare(label: "fta-rota")
            let store = try env.openStore()
            let dir = try directory(env, store)
            let rows = try store.dutyStatus()
            let rules = try store.dutyRules()
            var out: [JSONValue] = []
            for g in dir.groups.values.filter(\.needDuty).sorted(by: { $0.id < $1.id }) {
                let mine = rows.filter { $0.group == g.id }
                out.append(.object(["user_group_id": .string(g.id), "timezone": .string(g.timezone),
                                    "rules": .array(g.dutyRules.map { rid in
                                        let s = mine.first { $0.ruleId == rid }
                                        return .object(["duty_rule_id": .int(rid), "name": .string(rules[rid]?.name ?? ""),
                                                        "stored": .bool(rules[rid] != nil), "enabled": .bool(rules[rid]?.enabled ?? false),
                                                        "next_plan_time": .string(s?.nextPlan ?? ""), "completed": .bool(s?.completed ?? false),
                                                        "effective_plans": .int(Int64(s?.plans ?? 0)), "planned_until": .string(s?.until ?? "")])
                                    })]))
            }
            if json { print(JSONWriter.writePretty(.array(out))); return }
            print("group\ttimezone\trule\tenabled\tnext batch\tplans\tplanned until")
            for g in out {
                for r in g["rules"]?.arrayValue ?? [] {
                    print([g["user_group_id"]?.stringValue ?? "", g["timezone"]?.stringValue ?? "",
                           "\(r["duty_rule_id"]?.intValue ?? 0) \(r["name"]?.stringValue ?? "")" + (r["stored"]?.boolValue == true ? "" : " (missing)"),
                           r["enabled"]?.boolValue == true ? "yes" : "no",
                           r["completed"]?.boolValue == true ? "done" : (r["next_plan_time"]?.stringValue ?? ""),
                           "\(r["effective_plans"]?.intValue ?? 0)", r["planned_until"]?.stringValue ?? ""].joined(separator: "\t"))
                }
            }
        }
    }
}
