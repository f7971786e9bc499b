import Foundation

/// Turns one JSON line of `fta-tick enqueue` into an ``ActionDraft`` (architecture.md, "Contracts"),
/// checking every field the way the original's serializers do.
///
/// The line is scanned once (its syntax fully validated); scalar fields are parsed, nested
/// values are kept as their text. An `action_config` is parsed and checked by its processor
/// once per distinct text: producers send the same package for many alerts.
package final class ActionDraftParser {
    /// Fields the original stores but fta sets itself: accepted in input (so exported rows can
    /// be re-submitted) and ignored.
    static let ignoredFields: Set<String> = [
        "id", "status", "failure_type", "ex_data", "outputs", "end_time", "update_time", "create_time",
        "is_polled", "need_poll", "real_status", "sub_actions", "is_enabled", "is_deleted", "create_user", "update_user",
    ]
    /// The members a line may set, in ``Member`` order.
    static let knownFields: [String] = [
        "signal", "strategy_id", "strategy", "strategy_relation_id", "dimensions", "dimension_hash", "alerts", "alert",
        "alert_level", "action_plugin", "action_config", "action_config_id", "bk_biz_id", "is_parent_action",
        "parent_action_id", "assignee", "inputs", "execute_times", "generate_uuid", "dedupe_key", "due_at", "need_approval",
    ]
    enum Member: Int, CaseIterable {
        case signal, strategyId, strategy, strategyRelationId, dimensions, dimensionHash, alerts, alert
        case alertLevel, actionPlugin, actionConfig, actionConfigId, bkBizId, isParentAction
        case parentActionId, assignee, inputs, executeTimes, generateUUID, dedupeKey, dueAt, needApproval

        var key: String { ActionDraftParser.knownFields[rawValue] }
    }
    /// Member key → its ``Member`` number, or -1 for a field that is accepted and ignored: one
    /// hash per member of a line instead of comparing every key with every name.
    static let memberNumbers: [String: Int] = {
        var m: [String: Int] = [:]
        for (i, k) in knownFields.enumerated() { m[k] = i }
        for k in ignoredFields { m[k] = -1 }
        return m
    }()

    /// What one `action_config` text yields, or why it is refused.
    struct ConfigCheck {
        var id: Int64?
        var timeout: Int64
        var error: FieldError?
    }

    /// Checks a config for a plugin type; throws ``FieldError``.
    package typealias Validator = (_ pluginType: String, _ actionConfig: JSONValue) throws -> Void

    let validator: Validator
    private var checked: [String: ConfigCheck] = [:]
    private var plugins: [String: (type: String, text: String)] = [:]
    /// Per-line scratch: field index of each ``Member`` (reused; a parser serves one thread).
    private var slots = [Int](repeating: -1, count: Member.allCases.count)
    private var lastPlugin: (bytes: [UInt8], result: (type: String, text: String))?
    private var lastConfig: (pluginType: String, bytes: [UInt8], text: String, check: ConfigCheck)?

    /// Unknown top-level fields of the line parsed last (the line is still stored; the caller
    /// reports them as a warning).
    package private(set) var unknownFields: [String] = []

    package init(validator: @escaping Validator) { self.validator = validator }

    /// "unknown field 'due_a' ignored (did you mean 'due_at'?)", one per unknown field.
    package var warnings: [String] {
        unknownFields.map { key in
            let near = KnownKeys.nearest(key, in: ActionDraftParser.knownFields).map { " (did you mean '\($0)'?)" } ?? ""
            return "unknown field '\(MessageText.escaped(key))' ignored\(near)"
        }
    }

    package func parse(_ text: String) throws -> ActionDraft {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0) }
    }

    package func parse(bytes: UnsafeBufferPointer<UInt8>) throws -> ActionDraft {
        let fields = try JSONParser.topLevelFields(bytes: bytes)
        // Where each member is among the fields (the last one wins when a key repeats).
        for i in self.slots.indices { self.slots[i] = -1 }
        if !unknownFields.isEmpty { unknownFields.removeAll() }
        for (i, f) in fields.enumerated() {
            guard let n = ActionDraftParser.memberNumbers[f.key] else { unknownFields.append(f.key); continue }
            if n >= 0 { self.slots[n] = i }
        }
        let slots = self.slots
        func field(_ m: Member) -> JSONParser.Field? {
            let i = slots[m.rawValue]
            return i < 0 ? nil : fields[i]
        }
        func value(_ key: Member) throws -> JSONValue? {
            guard let f = field(key) else { return nil }
            let v = try JSONParser.parse(validUTF8: UnsafeBufferPointer(rebasing: bytes[f.range]))
            return v.isNull ? nil : v
        }
        func raw(_ key: Member, object: Bool) throws -> String? {
            guard let f = field(key), f.first != UInt8(ascii: "n") else { return nil }
            let expected = object ? UInt8(ascii: "{") : UInt8(ascii: "[")
            guard f.first == expected else {
                throw FieldError(key.key, "expected \(object ? "an object" : "an array"), found \((try? value(key))?.typeName ?? "another type")")
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[f.range]), as: UTF8.self)
        }
        func int(_ key: Member) throws -> Int64? {
            guard let v = try value(key) else { return nil }
            guard v.boolValue == nil, let i = v.intValue else { throw FieldError(key.key, "expected an integer, found \(v.typeName)") }
            return i
        }
        func string(_ key: Member) throws -> String? {
            guard let v = try value(key) else { return nil }
            guard let s = v.stringValue else { throw FieldError(key.key, "expected a string, found \(v.typeName)") }
            return s
        }
        func bool(_ key: Member) throws -> Bool? {
            guard let v = try value(key) else { return nil }
            if let b = v.boolValue { return b }
            if let i = v.intValue, i == 0 || i == 1 { return i == 1 }
            throw FieldError(key.key, "expected true or false, found \(v.typeName)")
        }

        guard let signalValue = try value(.signal) else { throw FieldError("signal", "missing") }
        guard let signal = signalValue.stringValue, ActionSignal(rawValue: signal) != nil else {
            throw FieldError("signal", "'\(signalValue.scalarText ?? signalValue.typeName)' is not a signal (\(ActionSignal.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard let pluginField = field(.actionPlugin), pluginField.first != UInt8(ascii: "n") else { throw FieldError("action_plugin", "missing") }
        let pluginBytes = UnsafeBufferPointer(rebasing: bytes[pluginField.range])
        let plugin: (type: String, text: String)
        if let last = lastPlugin, ActionDraftParser.same(last.bytes, pluginBytes) {
            plugin = last.result
        } else {
            guard let pluginText = try raw(.actionPlugin, object: true) else { throw FieldError("action_plugin", "missing") }
            plugin = try self.plugin(pluginText)
            lastPlugin = (Array(pluginBytes), plugin)
        }

        var d = ActionDraft(signal: signal, pluginType: plugin.type, actionPlugin: plugin.text)
        d.strategyId = try int(.strategyId) ?? 0
        d.strategy = try raw(.strategy, object: true) ?? "{}"
        d.strategyRelationId = try int(.strategyRelationId) ?? 0
        d.dimensions = try raw(.dimensions, object: false) ?? "[]"
        d.dimensionHash = try string(.dimensionHash) ?? ""
        if let alerts = try value(.alerts) {
            guard case .array(let items) = alerts else { throw FieldError("alerts", "expected an array, found \(alerts.typeName)") }
            if items.allSatisfy({ $0.stringValue != nil }), let text = try raw(.alerts, object: false) {
                d.alerts = text
            } else {
                let ids: [JSONValue] = try items.enumerated().map { i, a in
                    guard let s = a.scalarText, a.boolValue == nil else { throw FieldError("alerts[\(i)]", "expected an alert id") }
                    return .string(s)
                }
                d.alerts = JSONValue.array(ids).jsonText
            }
        }
        d.alert = try raw(.alert, object: true) ?? "{}"
        if let level = try int(.alertLevel) {
            guard (1...3).contains(level) else { throw FieldError("alert_level", "\(level) is not a severity (1 fatal, 2 warning, 3 remind)") }
            d.alertLevel = level
        }
        if let biz = try value(.bkBizId) {
            guard let s = AlertEvent.businessId(biz) else {
                throw FieldError("bk_biz_id", "expected an integer business id, found \(biz.scalarText.map { "'\(MessageText.escaped($0))'" } ?? biz.typeName)")
            }
            d.bkBizId = s
        }
        d.isParentAction = try bool(.isParentAction) ?? false
        d.parentActionId = try int(.parentActionId) ?? 0
        d.assignee = try raw(.assignee, object: false) ?? "[]"
        d.inputs = try raw(.inputs, object: true) ?? "{}"
        d.executeTimes = try int(.executeTimes) ?? 0
        guard InputLimits.rounds.contains(d.executeTimes) else {
            throw FieldError("execute_times", "\(d.executeTimes) is out of range \(InputLimits.rounds.lowerBound)...\(InputLimits.rounds.upperBound)")
        }
        d.generateUUID = try string(.generateUUID) ?? ""
        if let key = try string(.dedupeKey) {
            guard !key.isEmpty, key.utf8.count <= 256 else { throw FieldError("dedupe_key", "must be 1 to 256 bytes") }
            d.dedupeKey = key
        }
        d.needsApproval = try bool(.needApproval) ?? false
        if let due = try value(.dueAt) {
            guard let text = due.scalarText, due.boolValue == nil, let t = TimeParser.parse(text) else {
                throw FieldError("due_at", TimeParser.expected + ", found " + (due.scalarText.map { "'\(MessageText.escaped($0))'" } ?? due.typeName))
            }
            d.dueAt = t
        }
        // The same package is usually sent for many alerts in a row: compare bytes, reuse the text.
        let check: ConfigCheck
        if let f = field(.actionConfig), f.first != UInt8(ascii: "n"), let last = lastConfig, last.pluginType == plugin.type,
           ActionDraftParser.same(last.bytes, UnsafeBufferPointer(rebasing: bytes[f.range])) {
            d.actionConfig = last.text
            check = last.check
        } else {
            d.actionConfig = try raw(.actionConfig, object: true) ?? "{}"
            check = self.check(pluginType: plugin.type, configText: d.actionConfig)
            if let f = field(.actionConfig) {
                lastConfig = (plugin.type, Array(UnsafeBufferPointer(rebasing: bytes[f.range])), d.actionConfig, check)
            }
        }
        if let error = check.error { throw error }
        d.timeout = check.timeout
        d.actionConfigId = try int(.actionConfigId) ?? check.id ?? 0
        return d
    }

    static func same(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBufferPointer { x in
            guard let p = x.baseAddress, let q = b.baseAddress else { return false }
            return memcmp(p, q, a.count) == 0
        }
    }

    /// `action_plugin`: plugin_type checked, plugin_key defaulted (memoised by text).
    private func plugin(_ text: String) throws -> (type: String, text: String) {
        if let p = plugins[text] { return p }
        let v = try JSONParser.parse(text)
        guard var o = v.objectValue else { throw FieldError("action_plugin", "expected an object") }
        guard let type = o["plugin_type"]?.stringValue else { throw FieldError("action_plugin.plugin_type", "missing") }
        guard PluginType(rawValue: type) != nil else {
            throw FieldError("action_plugin.plugin_type", "unknown plugin type '\(type)' (\(PluginType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if o["plugin_key"] == nil { o["plugin_key"] = .string(type) }
        let result = (type, JSONValue.object(o).jsonText)
        if plugins.count < 1024 { plugins[text] = result }
        return result
    }

    private func check(pluginType: String, configText: String) -> ConfigCheck {
        let key = pluginType + "\u{0}" + configText
        if let c = checked[key] { return c }
        var c = ConfigCheck(id: nil, timeout: 600, error: nil)
        do {
            let config = try JSONParser.parse(configText)
            c.id = config["id"]?.intValue
            if let execute = config["execute_config"] {
                guard case .object = execute else { throw FieldError("action_config.execute_config", "expected an object") }
                if let t = execute["timeout"], !t.isNull {
                    guard let seconds = t.intValue else { throw FieldError("action_config.execute_config.timeout", "expected seconds") }
                    guard (60...7200).contains(seconds) else {
                        throw FieldError("action_config.execute_config.timeout", "\(seconds) is out of range 60...7200 seconds")
                    }
                    c.timeout = seconds
                }
            }
            try validator(pluginType, config)
        } catch let e as FieldError {
            c.error = e
        } catch {
            c.error = FieldError("action_config", "\(error)")
        }
        if checked.count > 4096 { checked.removeAll() }
        checked[key] = c
        return c
    }
}
