import Foundation

/// A circuit-breaker rule of module `action` (original-system.md §4.2): hold actions whose dimension
/// `key` matches `values` by `method`.
package struct BreakerRule: Sendable, Equatable {
    package static let keys = ["strategy_id", "bk_biz_id", "data_source_label", "data_type_label", "strategy_source", "plugin_type"]
    package static let methods = ["eq", "neq", "lt", "lte", "gt", "gte", "reg", "nreg", "include", "exclude", "issuperset"]

    package var id: Int64 = 0
    package var key: String
    package var method: String
    package var values: [String]
    /// `and` joins the current group; `or` starts a new one.
    package var condition: String
    package var description: String = ""
    package var creator: String = ""
    package var createTime: Int64 = 0
    package var expiresAt: Int64?
    /// Actions this rule has held so far.
    package var held: Int64 = 0

    package init(key: String, method: String, values: [String], condition: String = "and") {
        self.key = key
        self.method = method
        self.values = values
        self.condition = condition
    }

    /// Refuses a rule that cannot match: unknown key or method, no value, a bad regex, a
    /// non-numeric value for a comparison.
    package func validate() throws {
        guard BreakerRule.keys.contains(key) else { throw FieldError("key", "'\(key)' is not a breaker dimension (one of \(BreakerRule.keys.joined(separator: ", ")))") }
        guard BreakerRule.methods.contains(method) else { throw FieldError("method", "'\(method)' is not a method (one of \(BreakerRule.methods.joined(separator: ", ")))") }
        guard condition == "and" || condition == "or" else { throw FieldError("condition", "expected and or or") }
        let vs = values.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !vs.isEmpty else { throw FieldError("value", "missing (a rule on \(key) needs a value)") }
        switch method {
        case "reg", "nreg":
            for v in vs {
                do { _ = try Regex(v) } catch { throw FieldError("value", "'\(v)' is not a valid regular expression") }
            }
        case "lt", "lte", "gt", "gte":
            for v in vs where Double(v) == nil { throw FieldError("value", "'\(v)' is not a number (\(method) compares numbers)") }
        default: break
        }
    }

    /// Whether this condition holds for `data` (the dimension's values); a missing dimension
    /// never matches (original-system.md §4.3).
    func holds(_ data: [String]?) -> Bool {
        guard let data, !data.isEmpty else { return false }
        let d = data.map { $0.trimmingCharacters(in: .whitespaces) }
        let r = values.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        func eq() -> Bool { !Set(d).isDisjoint(with: r) }
        func include() -> Bool { d.contains { value in r.contains { value.contains($0) } } }
        func reg() -> Bool {
            guard let first = d.first else { return false }
            return r.contains { pattern in
                // The standard library's regular expressions: a search anywhere in the value, as
                // the original's `re.search`.
                guard let re = try? Regex(pattern) else { return false }
                return first.firstMatch(of: re) != nil
            }
        }
        func numbers(_ l: [String]) -> [Double] { l.compactMap { Double($0) } }
        switch method {
        case "eq": return eq()
        case "neq": return !eq()
        case "include": return include()
        case "exclude": return !include()
        case "reg": return reg()
        case "nreg": return !reg()
        case "issuperset": return Set(d).isSuperset(of: r)
        case "gt", "gte", "lt", "lte":
            let dn = numbers(d), rn = numbers(r)
            guard let dv = dn.max(), let rv = rn.min(), let dmin = dn.min(), let rmax = rn.max() else { return false }
            switch method {
            case "gt": return dv > rv
            case "gte": return dv >= rv
            case "lt": return dmin < rmax
            default: return dmin <= rmax
            }
        default: return false
        }
    }
}

extension BreakerRule {
    /// The rules of one `breaker add`: its conditions must all hold (`any`: one of them). The
    /// first condition starts a new group, so rules added separately widen what is held (the
    /// original's helpers appended `and` rules, which narrowed). Each rule is validated.
    package static func group(_ conditions: [BreakerRule], any: Bool, description: String, creator: String, expiresAt: Int64?) throws -> [BreakerRule] {
        guard !conditions.isEmpty else { throw FieldError("", "give at least one condition") }
        return try conditions.enumerated().map { i, c in
            var r = c
            r.condition = (i == 0 || any) ? "or" : "and"
            r.description = description
            r.creator = creator
            r.expiresAt = expiresAt
            do { try r.validate() } catch let e as FieldError { throw FieldError("breaker rule on \(r.key): \(e.field)", e.message) }
            return r
        }
    }
}

/// Active rules folded into OR-of-AND groups, left to right (original-system.md §4.3).
package struct BreakerMatcher: Sendable {
    let groups: [[BreakerRule]]

    package init(rules: [BreakerRule]) {
        var groups: [[BreakerRule]] = []
        var current: [BreakerRule] = []
        for rule in rules {
            if rule.condition == "or", !current.isEmpty {
                groups.append(current)
                current = []
            }
            current.append(rule)
        }
        if !current.isEmpty { groups.append(current) }
        self.groups = groups
    }

    package var isEmpty: Bool { groups.isEmpty }

    /// The rules of the first group whose every condition holds, or nil. The dimensions are
    /// worked out only when there are rules: reading them parses the action's plugin and
    /// strategy columns, a tenth of preparing a notice when no rule is set.
    package func match(_ dimensions: @autoclosure () -> [String: [String]]) -> [BreakerRule]? {
        guard !groups.isEmpty else { return nil }
        let dimensions = dimensions()
        return groups.first { group in group.allSatisfy { $0.holds(dimensions[$0.key]) } }
    }

    /// The action module's dimensions (original-system.md §4.4): `strategy_id` (also when 0),
    /// `bk_biz_id`, the first query config's data source and type labels, `strategy_source`
    /// when both exist, and `plugin_type` (the plugin key).
    package static func dimensions(strategyId: Int64, bkBizId: String, strategy: JSONValue, pluginKey: String) -> [String: [String]] {
        var d: [String: [String]] = ["strategy_id": [String(strategyId)], "plugin_type": [pluginKey]]
        if !bkBizId.isEmpty { d["bk_biz_id"] = [bkBizId] }
        let query = strategy["items"]?.arrayValue?.first?["query_configs"]?.arrayValue?.first
        let source = query?["data_source_label"]?.scalarText ?? ""
        let type = query?["data_type_label"]?.scalarText ?? ""
        if !source.isEmpty { d["data_source_label"] = [source] }
        if !type.isEmpty { d["data_type_label"] = [type] }
        if !source.isEmpty, !type.isEmpty { d["strategy_source"] = ["\(source):\(type)"] }
        return d
    }

    /// Dimensions of a claimed action.
    package static func dimensions(of action: ClaimedAction) -> [String: [String]] {
        let plugin = action.json(\.actionPlugin)
        let key = plugin["plugin_key"]?.stringValue ?? action.pluginType
        return dimensions(strategyId: action.strategyId, bkBizId: action.bkBizId, strategy: action.json(\.strategy),
                          pluginKey: key.isEmpty ? action.pluginType : key)
    }
}
