import Foundation
import FTACore

/// A file for `fta-rota import`: duty rules in the original's JSON shape, and the user groups
/// that use them (the config file's `user_groups:` shape plus `timezone`, `duty_notice` and
/// `need_duty`), in YAML or JSON.
///
/// ```yaml
/// duty_rules:
///   - id: 1
///     name: primary
///     category: handoff
///     effective_time: "2026-11-02 00:00:00"
///     duty_arranges:
///       - duty_users: [[{id: alice, type: user}], [{id: bob, type: user}]]
///         duty_time: [{work_type: weekly, work_days: [1,2,3,4,5,6,7], work_time: ["09:00--09:00"]}]
/// user_groups:
///   ops: {duty_rules: [1], timezone: Europe/Berlin, notice_ways: {default: [mail]}}
/// ```
package struct RotaFile {
    package var rules: [DutyRule] = []
    package var directory = UserDirectory()

    /// A YAML or JSON document as a value.
    package static func document(_ text: String, name: String, environment: [String: String] = [:]) throws -> JSONValue {
        try YAMLDocument.load(text, name: name, environment: environment, errorKind: FTAError.input) ?? .null
    }

    /// Reads and checks the whole file; the first problem is thrown, naming the file, the rule or
    /// group, and the field. `storedRuleIds` are rules groups may refer to besides the file's.
    package static func load(path: String, text: String? = nil, storedRuleIds: Set<Int64>, environment: [String: String]) throws -> RotaFile {
        let name = path == "-" ? "stdin" : path
        guard let body = text ?? FileHandle(forReadingAtPath: path).flatMap({ (try? $0.readToEnd()).flatMap { $0 }.flatMap { String(data: $0, encoding: .utf8) } }) else {
            throw FTAError.input("\(name): cannot read the file")
        }
        let root = try document(body, name: name, environment: environment)
        guard case .object(let top) = root else { throw FTAError.input("\(name): expected a mapping with duty_rules: and user_groups:") }
        for key in top.keys.sorted() where !["duty_rules", "user_groups", "users"].contains(key) {
            throw FTAError.input("\(name): unknown section '\(key)' (a rota file has duty_rules:, user_groups: and users:)")
        }
        var file = RotaFile()
        var items: [JSONValue] = []
        switch top["duty_rules"] {
        case nil, .null?: break
        case .array(let list)?: items = list
        case .object(let byId)?:
            // `duty_rules: {1: {...}}`: the key is the id.
            for key in byId.keys.sorted(by: { (Int64($0) ?? 0, $0) < (Int64($1) ?? 0, $1) }) {
                guard case .object(var o)? = byId[key], let id = Int64(key) else { throw FTAError.input("\(name): duty_rules.\(key): expected a rule under its numeric id") }
                o["id"] = o["id"] ?? .int(id)
                items.append(.object(o))
            }
        default: throw FTAError.input("\(name): duty_rules: expected a list of rules")
        }
        var seen = Set<Int64>()
        for (i, item) in items.enumerated() {
            let rule: DutyRule
            do {
                rule = try DutyRule.parse(item, requireId: true, fallbackLabel: "duty_rules[\(i)]")
            } catch let e as FTAError {
                throw FTAError.input("\(name): \(e.description)")
            }
            guard seen.insert(rule.id).inserted else { throw FTAError.input("\(name): \(rule.label): id: \(rule.id) appears twice") }
            file.rules.append(rule)
        }
        do {
            file.directory = try UserSettings.parse(users: top["users"], groups: top["user_groups"],
                                                    reader: ConfigReader(source: name, prefix: ""), knownUsers: [], checkUsers: false)
        } catch let e as FTAError {
            throw FTAError.input(e.description)
        }
        let known = seen.union(storedRuleIds)
        for id in file.directory.groups.keys.sorted() {
            for rid in file.directory.groups[id]!.dutyRules where !known.contains(rid) {
                throw FTAError.input("\(name): user_groups.\(id).duty_rules: rule \(rid) is neither in this file nor stored")
            }
        }
        return file
    }
}
