/// One line of `fta-tick ingest`: an alert changed (`signal`), with the alert and the strategy
/// snapshot whose notice and action relations say what to do about it (docs/ingest-format.md).
package struct AlertEvent: Sendable {
    package static let signals: Set<String> = ["abnormal", "recovered", "closed", "no_data", "ack", "manual"]

    package var signal: String
    package var alert: JSONValue
    package var alertId: String
    package var strategy: JSONValue
    package var strategyId: Int64
    /// Action configs carried in the event, by id.
    package var inlineConfigs: [Int64: JSONValue] = [:]
    /// Which round this is: 0 for an event, n for the n-th interval repeat.
    package var round: Int64 = 0
    /// Only this relation (interval repeats).
    package var relationId: Int64?
    package var noticeType = "normal"
    package var isUnshielded = false
    /// The producer's own identity of the event; the default is derived (``CreationStage``).
    package var eventKey: String?
    /// Further alerts of the same event (`alerts: [...]`), after `alert`.
    package var otherAlerts: [JSONValue] = []

    /// This event for one of its alerts.
    func forAlert(_ a: JSONValue) -> AlertEvent {
        var e = self
        e.alert = a
        e.alertId = a["id"]?.scalarText ?? ""
        e.otherAlerts = []
        if strategy["id"] == nil, let sid = a["strategy_id"]?.intValue { e.strategyId = sid }
        return e
    }

    package var severity: Int64 {
        let level = alert["severity"]?.intValue ?? 3
        return (1...3).contains(level) ? level : 3
    }

    package var bkBizId: String {
        for v in [alert["event"]?["bk_biz_id"], alert["bk_biz_id"], strategy["bk_biz_id"]] {
            if let s = v?.scalarText, !s.isEmpty { return s }
        }
        return ""
    }

    package var isShielded: Bool { alert["is_shielded"]?.boolValue ?? false }

    /// A business id as text: an integer, or a string holding one (the original keeps them as
    /// strings); nil for anything else (`2.5`, `"x"`).
    package static func businessId(_ v: JSONValue) -> String? {
        switch v {
        case .int(let i): return String(i)
        case .double(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : nil
        case .string(let s):
            let t = s.trimmingCharacters(in: .whitespaces)
            return t.isEmpty ? "" : Int64(t).map(String.init)
        default: return nil
        }
    }

    package init(signal: String, alert: JSONValue, alertId: String, strategy: JSONValue, strategyId: Int64) {
        self.signal = signal
        self.alert = alert
        self.alertId = alertId
        self.strategy = strategy
        self.strategyId = strategyId
    }

    /// The top-level fields of an event line; others are ignored with a warning (``unknownFields(_:)``).
    package static let knownFields: Set<String> = ["signal", "alert", "alerts", "strategy", "action_configs", "execute_times",
                                                  "notice_type", "is_unshielded", "dedupe_key"]

    /// "unknown field 'alret' ignored (did you mean 'alert'?)" for each unknown top-level field.
    package static func unknownFields(_ value: JSONValue) -> [String] {
        guard case .object(let o) = value else { return [] }
        return o.keys.sorted().filter { !knownFields.contains($0) }.map { key in
            "unknown field '\(MessageText.escaped(key))' ignored" + (KnownKeys.nearest(key, in: knownFields).map { " (did you mean '\($0)'?)" } ?? "")
        }
    }

    /// Parses and checks one event line; the error names the field at fault.
    package static func parse(_ value: JSONValue) throws -> AlertEvent {
        guard case .object(let o) = value else { throw FieldError("", "expected a JSON object (one alert event per line)") }
        guard let signalValue = o["signal"] else { throw FieldError("signal", "missing (one of \(signals.sorted().joined(separator: ", ")))") }
        guard let signal = signalValue.stringValue, signals.contains(signal) else {
            throw FieldError("signal", "'\(signalValue.scalarText ?? signalValue.typeName)' is not an event signal (one of \(signals.sorted().joined(separator: ", ")))")
        }
        // Several alerts of one strategy and signal: `alerts` (the message-queue action carries
        // them all; everything else is made per alert).
        var others: [JSONValue] = []
        var single = o["alert"]
        if single == nil, let list = o["alerts"] {
            guard let items = list.arrayValue, !items.isEmpty else { throw FieldError("alerts", "expected a non-empty list of alert objects") }
            for (i, a) in items.enumerated() where a["id"]?.scalarText == nil {
                throw FieldError("alerts[\(i)].id", a.objectValue == nil ? "expected an alert object" : "missing")
            }
            single = items[0]
            others = Array(items.dropFirst())
        }
        guard let alert = single else { throw FieldError("alert", "missing") }
        guard case .object(let a) = alert else { throw FieldError("alert", "expected an object, got \(alert.typeName)") }
        guard let id = a["id"]?.scalarText, !id.isEmpty else { throw FieldError("alert.id", "missing") }
        if let s = a["severity"], !s.isNull, s.intValue == nil { throw FieldError("alert.severity", "expected 1 (fatal), 2 (warning) or 3 (remind)") }
        for key in ["begin_time", "latest_time", "create_time", "end_time"] {
            guard let t = a[key], !t.isNull else { continue }
            guard t.boolValue == nil, let v = t.intValue, InputLimits.isTime(v) else {
                throw FieldError("alert.\(key)", "expected epoch seconds between 0 (1970) and \(InputLimits.time.upperBound) (9999), found \(t.scalarText.map(MessageText.escaped) ?? t.typeName)")
            }
        }
        for (path, value) in [("alert.event.bk_biz_id", a["event"]?["bk_biz_id"]), ("alert.bk_biz_id", a["bk_biz_id"])] {
            if let v = value, !v.isNull, AlertEvent.businessId(v) == nil {
                throw FieldError(path, "expected an integer business id, found \(v.scalarText.map(MessageText.escaped) ?? v.typeName)")
            }
        }
        let strategy = o["strategy"] ?? .object([:])
        guard case .object(let s) = strategy else { throw FieldError("strategy", "expected an object, got \(strategy.typeName)") }
        var strategyId = a["strategy_id"]?.intValue ?? 0
        if let sid = s["id"] {
            guard let i = sid.intValue else { throw FieldError("strategy.id", "expected an integer") }
            strategyId = i
        }
        var event = AlertEvent(signal: signal, alert: alert, alertId: id, strategy: strategy, strategyId: strategyId)
        event.otherAlerts = others
        if let n = s["notice"], !n.isNull { _ = try Relation.parse(n, field: "strategy.notice", isNotice: true) }
        if let list = s["actions"], !list.isNull {
            guard let items = list.arrayValue else { throw FieldError("strategy.actions", "expected a list of relations") }
            for (i, item) in items.enumerated() { _ = try Relation.parse(item, field: "strategy.actions[\(i)]", isNotice: false) }
        }
        if let configs = o["action_configs"], !configs.isNull {
            let items: [JSONValue]
            switch configs {
            case .array(let list): items = list
            case .object(let byId): items = byId.keys.sorted().map { k in byId[k]!.setting("id", byId[k]!["id"] ?? .string(k)) }
            default: throw FieldError("action_configs", "expected a list of action configs")
            }
            for (i, c) in items.enumerated() {
                guard let cid = c["id"]?.intValue else { throw FieldError("action_configs[\(i)].id", "missing") }
                event.inlineConfigs[cid] = c
            }
        }
        if let r = o["execute_times"], !r.isNull {
            guard r.boolValue == nil, let i = r.intValue, InputLimits.rounds.contains(i) else {
                throw FieldError("execute_times", "expected a round number in \(InputLimits.rounds.lowerBound)...\(InputLimits.rounds.upperBound)")
            }
            event.round = i
        }
        if let t = o["notice_type"] {
            guard let v = t.stringValue, ["normal", "upgrade", "unshielded"].contains(v) else { throw FieldError("notice_type", "expected normal, upgrade or unshielded") }
            event.noticeType = v
        }
        if o["is_unshielded"]?.boolValue == true {
            event.isUnshielded = true
            event.noticeType = "unshielded"
        }
        if let k = o["dedupe_key"], !k.isNull {
            guard let v = k.stringValue, !v.isEmpty else { throw FieldError("dedupe_key", "expected a non-empty string") }
            event.eventKey = v
        }
        return event
    }

    /// The relations of the strategy that answer this event's signal, notice first.
    package func relations() throws -> [Relation] {
        var list: [Relation] = []
        if let n = strategy["notice"], !n.isNull, n["config_id"] != nil {
            list.append(try Relation.parse(n, field: "strategy.notice", isNotice: true))
        }
        for (i, item) in (strategy["actions"]?.arrayValue ?? []).enumerated() {
            list.append(try Relation.parse(item, field: "strategy.actions[\(i)]", isNotice: false))
        }
        if let only = relationId { list = list.filter { $0.id == only } }
        return list.filter { $0.signals.contains(signal) }
    }
}

/// A strategy↔action-config relation (`strategy.notice` or one of `strategy.actions`).
package struct Relation: Sendable, Equatable {
    package var id: Int64
    package var configId: Int64
    package var signals: [String]
    package var userGroups: [String]
    package var options: JSONValue
    /// The strategy's notice relation (rather than one of its actions).
    package var isNotice: Bool
    /// Field path, for messages.
    package var field: String

    static func parse(_ value: JSONValue, field: String, isNotice: Bool) throws -> Relation {
        guard case .object(let o) = value else { throw FieldError(field, "expected an object, got \(value.typeName)") }
        guard let cfg = o["config_id"] else { throw FieldError("\(field).config_id", "missing") }
        guard let configId = cfg.intValue else { throw FieldError("\(field).config_id", "expected an integer") }
        var signals: [String] = []
        if let s = o["signal"], !s.isNull {
            guard let items = s.arrayValue else { throw FieldError("\(field).signal", "expected a list of signals") }
            signals = try items.map {
                guard let v = $0.stringValue else { throw FieldError("\(field).signal", "expected a list of signals") }
                return v
            }
        }
        var groups: [String] = []
        if let g = o["user_groups"], !g.isNull {
            guard let items = g.arrayValue else { throw FieldError("\(field).user_groups", "expected a list of user group ids") }
            groups = try items.map {
                guard let v = $0.scalarText else { throw FieldError("\(field).user_groups", "expected a list of user group ids") }
                return v
            }
        }
        let options = o["options"] ?? .object([:])
        if !options.isNull, options.objectValue == nil { throw FieldError("\(field).options", "expected an object") }
        if let d = options["skip_delay"], !d.isNull {
            guard d.boolValue == nil, let v = d.intValue, (0...InputLimits.maxDelay).contains(v) else {
                throw FieldError("\(field).options.skip_delay", "expected seconds in 0...\(InputLimits.maxDelay)")
            }
        }
        do { _ = try ConvergeConfig.parse(options["converge_config"], isNotice: isNotice) } catch let e as FieldError {
            throw FieldError("\(field).options.\(e.field)", e.message)
        }
        if let e = options["exclude_notice_ways"], !e.isNull, e.objectValue == nil {
            throw FieldError("\(field).options.exclude_notice_ways", "expected {signal: [ways]}")
        }
        return Relation(id: o["id"]?.intValue ?? 0, configId: configId, signals: signals, userGroups: groups,
                        options: options.isNull ? .object([:]) : options, isNotice: isNotice, field: field)
    }

    /// `options.exclude_notice_ways[signal]`.
    package func excludedWays(for signal: String) -> [String] {
        (options["exclude_notice_ways"]?[signal]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// The processing window as the original's `"start--end"`: `options.start_time` and
    /// `end_time` (the original's own keys), else `options.time_range`, else the whole day.
    package var timeRange: String {
        let start = options["start_time"]?.stringValue ?? "", end = options["end_time"]?.stringValue ?? ""
        if !start.isEmpty || !end.isEmpty { return "\(start.isEmpty ? "00:00:00" : start)--\(end.isEmpty ? "23:59:59" : end)" }
        if let t = options["time_range"]?.stringValue, !t.isEmpty { return t }
        if let l = options["time_range"]?.arrayValue, l.count == 2, let a = l[0].stringValue, let b = l[1].stringValue { return "\(a)--\(b)" }
        return "00:00:00--23:59:59"
    }
}
