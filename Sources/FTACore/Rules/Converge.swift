import Foundation

/// `converge_config` of an action relation (original-system.md §6.1): within `timedelta` seconds around an
/// action's creation, actions with the same values of the `condition` dimensions converge into
/// one instance once `count` of them are seen, and `converge_func` decides each one's fate.
package struct ConvergeConfig: Sendable, Equatable {
    package struct Condition: Sendable, Equatable {
        package var dimension: String
        /// Accepted values; `self` stands for the action's own value (the usual case).
        package var values: [String]
    }

    package var timedelta: Int64
    package var maxTimedelta: Int64
    package var count: Int
    package var function: String
    package var conditions: [Condition]
    package var needBizConverge: Bool
    /// The business-level second stage (`sub_converge_config`): several strategies' instances
    /// for one receiver within its window fold into one business summary.
    package var sub: Sub?
    package var raw: JSONValue

    package struct Sub: Sendable, Equatable {
        package var timedelta: Int64
        package var count: Int
        package var conditions: [Condition]

        /// `MULTI_STRATEGY_COLLECT_WINDOW` and `_THRESHOLD` of the original.
        package static let window: Int64 = 120
        package static let threshold = 3

        package func dimension(for context: [String: String]) -> String {
            "#biz|" + conditions.map { "\($0.dimension):\(context[$0.dimension] ?? "")" }.joined(separator: "|")
        }
    }

    package static let functions = ["skip_when_success", "approve_when_failed", "skip_when_proceed", "wait_when_proceed", "defense",
                                   "skip_when_exceed", "trigger", "relevance", "collect", "collect_alarm"]

    /// nil for a config that does not converge (the original's "illegal" configs: not enabled
    /// — `is_enabled` must be true, as the original's UI writes it —, no condition,
    /// `timedelta <= 0`, `count < 0`). Unknown functions are a ``FieldError`` all the same.
    /// - Parameter forcedNotice: a notice child under the original's rule (``NoticeConvergence``):
    ///   a 120 s window and a count of 1 whatever the config says, and `notice_info` (the alert,
    ///   way and receiver) always among the dimensions, so only repeats of one notice converge.
    package static func parse(_ value: JSONValue?, isNotice: Bool, forcedNotice: Bool = false) throws -> ConvergeConfig? {
        guard let value, case .object(let o) = value, !o.isEmpty else { return nil }
        let function = o["converge_func"]?.stringValue ?? "skip_when_success"
        guard functions.contains(function) else {
            throw FieldError("converge_config.converge_func", "'\(function)' is not one of \(functions.joined(separator: ", "))")
        }
        guard o["is_enabled"]?.boolValue == true else { return nil }
        var conditions: [Condition] = []
        for (i, c) in (o["condition"]?.arrayValue ?? []).enumerated() {
            guard let d = c["dimension"]?.stringValue, !d.isEmpty else { throw FieldError("converge_config.condition[\(i)].dimension", "missing") }
            let values = (c["value"]?.arrayValue ?? [.string("self")]).compactMap(\.scalarText)
            conditions.append(Condition(dimension: d, values: values.isEmpty ? ["self"] : values))
        }
        if conditions.isEmpty { conditions = [Condition(dimension: isNotice ? "notice_info" : "action_info", values: ["self"])] }
        // Windows up to a week and counts up to a million: beyond anything the original's UI
        // offers, and small enough that no time arithmetic on them can overflow.
        func number(_ v: JSONValue?, _ key: String, _ range: ClosedRange<Int64>, fallback: Int64) throws -> Int64 {
            guard let v, !v.isNull else { return fallback }
            guard v.boolValue == nil, let i = v.intValue else { throw FieldError("converge_config.\(key)", "expected an integer, found \(v.typeName)") }
            // The original treats a window of 0 or less, or a negative count, as "no convergence".
            if i < range.lowerBound { return i }
            guard i <= range.upperBound else { throw FieldError("converge_config.\(key)", "\(i) is out of range ...\(range.upperBound)") }
            return i
        }
        let week: Int64 = 7 * 86_400
        var timedelta = try number(o["timedelta"], "timedelta", 1...week, fallback: 60)
        var count = Int(try number(o["count"], "count", 0...1_000_000, fallback: 1))
        // The forced rule applies to configs that converge at all (not to the "illegal" ones).
        if forcedNotice, timedelta > 0, count >= 0 {
            timedelta = NoticeConvergence.window
            count = NoticeConvergence.count
            if !conditions.contains(where: { $0.dimension == "notice_info" }) { conditions.append(Condition(dimension: "notice_info", values: ["self"])) }
        }
        let maxTimedelta = try number(o["max_timedelta"], "max_timedelta", 1...week, fallback: timedelta)
        guard timedelta > 0, count >= 0 else { return nil }
        let needBiz = o["need_biz_converge"]?.boolValue ?? false
        var sub: Sub?
        if needBiz {
            let s = o["sub_converge_config"] ?? .object([:])
            var subConditions = (s["condition"]?.arrayValue ?? []).compactMap { c -> Condition? in
                c["dimension"]?.stringValue.map { Condition(dimension: $0, values: ["self"]) }
            }
            if subConditions.isEmpty {
                subConditions = ["alert_level", "bk_biz_id", "notice_receiver", "notice_way", "signal"].map { Condition(dimension: $0, values: ["self"]) }
            }
            let subDelta = try number(s["timedelta"], "sub_converge_config.timedelta", 1...week, fallback: Sub.window)
            let subCount = try number(s["count"], "sub_converge_config.count", 1...1_000_000, fallback: Int64(Sub.threshold))
            sub = Sub(timedelta: max(1, subDelta), count: max(1, Int(subCount)), conditions: subConditions.sorted { $0.dimension < $1.dimension })
        }
        return ConvergeConfig(timedelta: timedelta, maxTimedelta: max(timedelta, maxTimedelta), count: count,
                              function: function, conditions: conditions.sorted { $0.dimension < $1.dimension },
                              needBizConverge: needBiz, sub: sub, raw: value)
    }

    /// The values of the converge context dimensions of an action (original-system.md §6.2,
    /// `core/context/converge.py`); other names are looked up among the alert's dimensions.
    package static func context(of a: ClaimedAction) -> [String: String] {
        let inputs = a.json(\.inputs)
        let alert = a.json(\.alert)
        let way = inputs["notice_way"]?.scalarText ?? ""
        let receiver = inputs["notice_receiver"].map { $0.scalarText ?? ($0.arrayValue ?? []).compactMap(\.scalarText).joined(separator: ",") } ?? ""
        let dimensions = JSONParser.member(of: a.text.strategy, "dimension_hash")?.scalarText ?? alert["dimension_hash"]?.scalarText
            ?? a.json(\.dimensions, default: .emptyArray).jsonText
        let strategy = a.strategyId != 0 ? String(a.strategyId) : (alert["alert_name"]?.scalarText ?? "")
        let alertInfo = "\(strategy)_\(a.alertLevel)_\(a.signal)_\(dimensions)"
        var out: [String: String] = [
            "alert_info": alertInfo, "notice_info": "\(alertInfo)_\(way)_\(receiver)",
            "action_info": "\(a.strategyId)_\(a.signal)_\(a.actionConfigId)", "strategy_id": String(a.strategyId),
            "bk_biz_id": a.bkBizId, "alert_level": String(a.alertLevel), "signal": a.signal, "dimensions": dimensions,
            "notice_way": way, "notice_receiver": receiver, "alert_name": alert["alert_name"]?.scalarText ?? "",
            "action_config_id": String(a.actionConfigId),
        ]
        for d in alert["dimensions"]?.arrayValue ?? [] {
            if let k = d["key"]?.scalarText, out[k] == nil { out[k] = d["value"]?.scalarText ?? "" }
        }
        return out
    }

    /// The instance dimension of an action (`#<func>|<dim>:<value>|...`, hashed past 128
    /// characters), or nil when its values are not among a condition's accepted values.
    package func dimension(for context: [String: String]) -> String? {
        var parts: [String] = []
        for c in conditions {
            let v = context[c.dimension] ?? ""
            guard c.values.contains("self") || c.values.contains(v) else { return nil }
            parts.append("\(c.dimension):\(v)")
        }
        let key = "#\(function)|" + parts.joined(separator: "|")
        if key.utf8.count <= 128 { return key }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return "!fnv#" + String(h, radix: 16) + "#" + String(key.prefix(100))
    }

    package var description: String {
        "within \(timedelta / 60 > 0 ? "\(timedelta / 60) min" : "\(timedelta) s"), when actions with the same \(conditions.map(\.dimension).joined(separator: ", ")) reach \(count): \(function)"
    }
}

/// What convergence decides for one action (original-system.md §6.2): run it, or not.
package enum ConvergeDecision: Sendable, Equatable {
    case execute
    case skipped
    /// Re-check after ``ConvergeRules/sleepSeconds``.
    case sleep
    /// Wait for approval (the defense flow).
    case waiting
    /// The alert is shielded: the action ends `shield` without running.
    case shield
}

/// The converge functions, as pure rules over what the instance's executed actions are doing.
/// How notice children converge (`tick.notice_converge`).
package enum NoticeConvergence: String, Sendable, CaseIterable {
    /// As the original: whatever the relation's config says, a notice converges within 120 s,
    /// from the first repeat, with others of the same `notice_info` (the same alert, way and
    /// receiver), the config's own dimensions added to the key. Storms across alerts are
    /// gathered by the business stage (`need_biz_converge`).
    case original
    /// The relation's `timedelta`, `count` and `condition` as written: a condition without
    /// the alert's dimensions gathers many alerts into one summary at the first stage.
    case configured

    package static let window: Int64 = 120
    package static let count = 1
}

package enum ConvergeRules {
    package static let sleepSeconds: Int64 = 30
    /// How long dimension records are kept (a day: far past any converge window).
    package static let dimensionTTL: Int64 = 86_400
    /// How long a summary waits for the storm before it is sent.
    package static let collectDelay: Int64 = 60

    /// - Parameters:
    ///   - isNew: this action created the instance.
    ///   - executed: statuses of the instance's other actions that were let through.
    ///   - foldedIntoBusiness: the instance was folded into a business summary (collect only).
    package static func decide(_ function: String, isNew: Bool, executed: [ActionStatus], count: Int, foldedIntoBusiness: Bool = false) -> ConvergeDecision {
        func skipWhenSuccess() -> ConvergeDecision? {
            guard !executed.isEmpty else { return nil }
            if executed.contains(.success) { return .skipped }
            if executed.contains(where: { $0 != .failure && $0 != .sleep }) { return .sleep }
            return nil
        }
        switch function {
        case "skip_when_success": return skipWhenSuccess() ?? .execute
        case "approve_when_failed": return skipWhenSuccess() ?? (executed.isEmpty ? .execute : .waiting)
        case "skip_when_proceed":
            if executed.contains(where: { ActionStatus.proceed.contains($0) }) { return .skipped }
            // The original meant "one just finished (not failed)" but compared with the whole list.
            if executed.contains(where: { $0.isTerminal && $0 != .failure }) { return .skipped }
            return .execute
        case "wait_when_proceed": return executed.contains(where: { ActionStatus.proceed.contains($0) }) ? .sleep : .execute
        case "defense": return isNew || executed.count < count ? .execute : .waiting
        case "skip_when_exceed": return isNew || executed.count < count ? .execute : .skipped
        case "trigger": return isNew ? .execute : .skipped
        // Summaries: the first runs (collect) or none does (collect_alarm); the rest are covered
        // by the instance's summary, and everything is once the business summary took it over.
        case "collect": return !foldedIntoBusiness && (isNew || executed.count < count) ? .execute : .skipped
        case "collect_alarm": return .skipped
        default: return .execute
        }
    }
}

extension ConvergeRules {
    /// Whether a claimed action goes through the converge step now: it carries a
    /// `converge_config` in its inputs and has not run yet (or sleeps on convergence).
    package static func needsConverge(_ a: ClaimedAction) -> Bool {
        guard a.text.inputs.containsBytes("converge_config") else { return false }
        // Voice calls never converge (the original sends every voice child straight on; the
        // voice de-dupe window keeps repeated calls apart).
        if a.pluginType == "notice", !a.isParentAction, JSONParser.member(of: a.text.inputs, "notice_way")?.stringValue == "voice" { return false }
        if a.nextStep == "converge" { return true }
        return a.nextStep == "execute" && a.executeTimes == 0 && (a.status == .received || a.status == .sleep) && !a.isParentAction
    }

    /// Where an action stands before its instance is looked at.
    package enum Preparation {
        /// Decided without an instance (it does not converge, or its alert is shielded, or a
        /// sleeper gave up).
        case done(ConvergeResult)
        /// To converge with this config, in this dimension.
        case ready(ConvergeConfig, String)
    }

    /// The action's config and dimension, or its result when it does not converge at all.
    package static func prepare(_ a: ClaimedAction, now: Int64, notices: NoticeConvergence = .original) -> Preparation {
        let config: ConvergeConfig
        do {
            let isNotice = a.pluginType == "notice"
            guard let c = try ConvergeConfig.parse(JSONParser.member(of: a.text.inputs, "converge_config"), isNotice: isNotice,
                                                   forcedNotice: isNotice && !a.isParentAction && notices == .original) else {
                return .done(ConvergeResult(decision: .execute, convergeId: nil, message: "not converged: converge_config does not converge"))
            }
            config = c
        } catch {
            return .done(ConvergeResult(decision: .execute, convergeId: nil, message: "not converged: \(error)"))
        }
        if JSONParser.member(of: a.text.inputs, "is_alert_shielded")?.boolValue == true {
            let detail = JSONParser.member(of: a.text.inputs, "shield_detail")?.scalarText ?? ""
            return .done(ConvergeResult(decision: .shield, convergeId: nil, message: "alert shielded: the action does not run" + (detail.isEmpty ? "" : " (\(detail))")))
        }
        let timeout = JSONParser.member(of: a.text.actionConfig, "execute_config")?["timeout"]?.intValue ?? 600
        // A sleeper gives up one sleep before its deadline (the sweep would fail it as a timeout).
        if a.status == .sleep, now - a.createTime + sleepSeconds >= max(timeout, config.maxTimedelta) {
            return .done(ConvergeResult(decision: .skipped, convergeId: nil, message: "converged: still waiting on other actions after \(now - a.createTime) s, skipped"))
        }
        guard let dimension = config.dimension(for: ConvergeConfig.context(of: a)) else {
            return .done(ConvergeResult(decision: .execute, convergeId: nil, message: "not converged: its values are not among the condition's"))
        }
        return .ready(config, dimension)
    }

    /// The message an action's decision is logged with.
    package static func message(instance: Int64, config: ConvergeConfig, decision: ConvergeDecision) -> String {
        let verb: String
        switch decision {
        case .execute: verb = "runs"
        case .skipped: verb = "skipped"
        case .sleep: verb = "waits \(sleepSeconds) s for the others"
        case .waiting: verb = "waits for approval"
        case .shield: verb = "shielded"
        }
        return "converge instance \(instance) (\(config.description)): \(verb)"
    }
}

/// A converge summary (`collect`) built from the actions its instance held back: the notice
/// row's new inputs, alerts and assignee, and the row as the notice processor sends it.
/// Both stores gather the rows and apply this.
package struct ConvergeSummary {
    /// One held-back action: its id and its `alerts`, `alert` and `strategy` texts.
    package struct Related {
        package var id: Int64
        package var alerts: String
        package var alert: String
        package var strategy: String
        package init(id: Int64, alerts: String, alert: String, strategy: String) {
            self.id = id
            self.alerts = alerts
            self.alert = alert
            self.strategy = strategy
        }
    }

    package var inputs: String
    package var alerts: String
    package var assignee: String
    package var send: ClaimedAction

    /// `description` is the instance's; `business`: a business summary over several instances.
    package init(action a: ClaimedAction, inputs: JSONValue, business: Bool, description: String, now: Int64, related: [Related]) {
        var alertIds: [String] = []
        var titles: [String] = []
        var strategies = Set<String>()
        for r in related {
            for id in ((try? JSONParser.parse(r.alerts).arrayValue) ?? []).compactMap(\.scalarText) where !alertIds.contains(id) { alertIds.append(id) }
            let alert = (try? JSONParser.parse(r.alert)) ?? .null
            let strategy = (try? JSONParser.parse(r.strategy)) ?? .null
            if let id = strategy["id"]?.scalarText { strategies.insert(id) }
            let name = alert["alert_name"]?.scalarText ?? strategy["name"]?.scalarText ?? "alert"
            if titles.count < 20 { titles.append("\(name) (\(alert["id"]?.scalarText ?? alertIds.last ?? ""))") }
        }
        var newInputs = inputs.objectValue ?? [:]
        newInputs["notice_type"] = "converge_summary"
        newInputs["related_actions"] = .array(related.map { .int($0.id) })
        let reason = business ? "business summary of \(strategies.count) strategies: " + description : "converged: " + description
        newInputs["digest"] = ["count": .int(Int64(related.count)), "titles": .array(titles.map { .string($0) }), "window_end": .int(now),
                               "reason": .string(reason), "reason_zh": .string(business ? "业务汇总" : "告警收敛")]
        self.inputs = JSONValue.object(newInputs).jsonText
        alerts = JSONValue.array(alertIds.map { .string($0) }).jsonText
        let receiver = newInputs["notice_receiver"]
        assignee = JSONValue.array((receiver?.scalarText).map { [.string($0)] } ?? receiver?.arrayValue ?? []).jsonText
        send = a
        send.pluginType = "notice"
        send.nextStep = "execute"
        send.text.inputs = self.inputs
        send.text.alerts = alerts
        send.text.assignee = assignee
    }
}
