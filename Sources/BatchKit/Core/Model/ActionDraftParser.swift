/// An input field that is missing or wrong: the message names the field.
public struct FieldError: Error, CustomStringConvertible, Sendable, Equatable {
    public let field: String
    public let message: String
    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// Turns one JSON object of `fta-tick enqueue` into an ``ActionDraft`` (ARCHITECTURE §4),
/// checking every field the way the original's serializers do.
public enum ActionDraftParser {
    /// Fields the original stores but fta sets itself: accepted in input (so exported rows can
    /// be re-submitted) and ignored.
    static let ignoredFields: Set<String> = [
        "id", "status", "failure_type", "ex_data", "outputs", "end_time", "update_time", "create_time",
        "is_polled", "need_poll", "real_status", "sub_actions", "is_enabled", "is_deleted", "create_user", "update_user",
    ]
    static let knownFields: Set<String> = [
        "signal", "strategy_id", "strategy", "strategy_relation_id", "dimensions", "dimension_hash", "alerts", "alert",
        "alert_level", "action_plugin", "action_config", "action_config_id", "bk_biz_id", "is_parent_action",
        "parent_action_id", "assignee", "inputs", "execute_times", "generate_uuid", "dedupe_key", "due_at",
    ]

    public static func parse(_ value: JSONValue, validate: (ActionDraft) throws -> Void) throws -> ActionDraft {
        guard case .object(let o) = value else { throw FieldError("", "expected a JSON object, found \(value.typeName)") }
        for key in o.keys.sorted() where !knownFields.contains(key) && !ignoredFields.contains(key) {
            throw FieldError(key, "unknown field")
        }
        guard let signalValue = o["signal"] else { throw FieldError("signal", "missing") }
        guard let signal = signalValue.stringValue, ActionSignal(rawValue: signal) != nil else {
            throw FieldError("signal", "'\(signalValue.scalarText ?? signalValue.typeName)' is not a signal (\(ActionSignal.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let plugin = o["action_plugin"] else { throw FieldError("action_plugin", "missing") }
        guard case .object(var pluginObject) = plugin else { throw FieldError("action_plugin", "expected an object") }
        guard let pluginType = pluginObject["plugin_type"]?.stringValue else { throw FieldError("action_plugin.plugin_type", "missing") }
        guard PluginType(rawValue: pluginType) != nil else {
            throw FieldError("action_plugin.plugin_type", "unknown plugin type '\(pluginType)' (\(PluginType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if pluginObject["plugin_key"] == nil { pluginObject["plugin_key"] = .string(pluginType) }

        var d = ActionDraft(signal: signal, actionPlugin: .object(pluginObject))
        d.strategyId = try int(o, "strategy_id") ?? 0
        d.strategy = try object(o, "strategy") ?? .emptyObject
        d.strategyRelationId = try int(o, "strategy_relation_id") ?? 0
        d.dimensions = try array(o, "dimensions") ?? .emptyArray
        d.dimensionHash = try string(o, "dimension_hash") ?? ""
        if let alerts = try array(o, "alerts")?.arrayValue {
            d.alerts = try alerts.enumerated().map { i, a in
                guard let s = a.scalarText, !(a.boolValue != nil) else { throw FieldError("alerts[\(i)]", "expected an alert id") }
                return s
            }
        }
        d.alert = try object(o, "alert") ?? .emptyObject
        if let level = try int(o, "alert_level") {
            guard (1...3).contains(level) else { throw FieldError("alert_level", "\(level) is not a severity (1 fatal, 2 warning, 3 remind)") }
            d.alertLevel = level
        }
        d.actionConfig = try object(o, "action_config") ?? .emptyObject
        d.actionConfigId = try int(o, "action_config_id") ?? d.actionConfig["id"]?.intValue ?? 0
        if let biz = o["bk_biz_id"], !biz.isNull {
            guard let s = biz.scalarText, biz.boolValue == nil else { throw FieldError("bk_biz_id", "expected a business id") }
            d.bkBizId = s
        }
        d.isParentAction = try bool(o, "is_parent_action") ?? false
        d.parentActionId = try int(o, "parent_action_id") ?? 0
        d.assignee = try array(o, "assignee") ?? .emptyArray
        d.inputs = try object(o, "inputs") ?? .emptyObject
        d.executeTimes = try int(o, "execute_times") ?? 0
        d.generateUUID = try string(o, "generate_uuid") ?? ""
        if let key = try string(o, "dedupe_key") {
            guard !key.isEmpty, key.utf8.count <= 256 else { throw FieldError("dedupe_key", "must be 1 to 256 bytes") }
            d.dedupeKey = key
        }
        if let due = o["due_at"], !due.isNull {
            guard let text = due.scalarText, due.boolValue == nil, let t = TimeParser.parse(text) else {
                throw FieldError("due_at", "expected epoch seconds or an ISO-8601 time")
            }
            d.dueAt = t
        }
        if let execute = d.actionConfig["execute_config"] {
            guard case .object = execute else { throw FieldError("action_config.execute_config", "expected an object") }
            if let t = execute["timeout"], !t.isNull {
                guard let seconds = t.intValue else { throw FieldError("action_config.execute_config.timeout", "expected seconds") }
                guard (60...7200).contains(seconds) else {
                    throw FieldError("action_config.execute_config.timeout", "\(seconds) is out of range 60...7200 seconds")
                }
                d.timeout = seconds
            }
        }
        try validate(d)
        return d
    }

    static func int(_ o: [String: JSONValue], _ key: String) throws -> Int64? {
        guard let v = o[key], !v.isNull else { return nil }
        guard v.boolValue == nil, let i = v.intValue else { throw FieldError(key, "expected an integer, found \(v.typeName)") }
        return i
    }

    static func string(_ o: [String: JSONValue], _ key: String) throws -> String? {
        guard let v = o[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw FieldError(key, "expected a string, found \(v.typeName)") }
        return s
    }

    static func bool(_ o: [String: JSONValue], _ key: String) throws -> Bool? {
        guard let v = o[key], !v.isNull else { return nil }
        if let b = v.boolValue { return b }
        if let i = v.intValue, i == 0 || i == 1 { return i == 1 }
        throw FieldError(key, "expected true or false, found \(v.typeName)")
    }

    static func object(_ o: [String: JSONValue], _ key: String) throws -> JSONValue? {
        guard let v = o[key], !v.isNull else { return nil }
        guard case .object = v else { throw FieldError(key, "expected an object, found \(v.typeName)") }
        return v
    }

    static func array(_ o: [String: JSONValue], _ key: String) throws -> JSONValue? {
        guard let v = o[key], !v.isNull else { return nil }
        guard case .array = v else { throw FieldError(key, "expected an array, found \(v.typeName)") }
        return v
    }
}
