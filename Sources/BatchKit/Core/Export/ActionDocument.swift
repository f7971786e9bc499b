/// One `action_instance` row as the exporter reads it.
public struct ExportRow: Sendable {
    public var id: Int64
    public var changeSeq: Int64
    public var signal: String
    public var status: String
    public var failureType: String?
    public var strategyId: Int64
    public var alertLevel: Int64
    public var bkBizId: String
    public var createTime: Int64
    public var updateTime: Int64
    public var endTime: Int64?
    public var executeTimes: Int64
    public var isParentAction: Bool
    public var parentActionId: Int64
    public var actionConfigId: Int64
    public var realStatus: String
    /// JSON texts.
    public var strategy = "{}", dimensions = "[]", alerts = "[]", exData = "{}", inputs = "{}", outputs = "{}"
    public var actionPlugin = "{}", actionConfig = "{}", assignee = "[]"

    public init(id: Int64, changeSeq: Int64, signal: String, status: String, strategyId: Int64 = 0, createTime: Int64, updateTime: Int64) {
        self.id = id
        self.changeSeq = changeSeq
        self.signal = signal
        self.status = status
        self.failureType = nil
        self.strategyId = strategyId
        self.alertLevel = 3
        self.bkBizId = ""
        self.createTime = createTime
        self.updateTime = updateTime
        self.endTime = nil
        self.executeTimes = 0
        self.isParentAction = false
        self.parentActionId = 0
        self.actionConfigId = 0
        self.realStatus = ""
    }
}

/// The original's `ActionInstanceDocument` (reference §5.3) and which rows are exported (§5.1).
public enum ActionDocument {
    static let normalSignals: Set<String> = ["abnormal", "recovered", "closed", "no_data", "manual", "ack"]
    static let canSync: Set<String> = ["waiting", "converging", "sleep", "converged", "running", "success", "partial_success",
                                       "partial_failure", "failure", "skipped", "shield", "blocked"]
    static let collectSync: Set<String> = ["waiting", "running", "success", "partial_success", "failure", "skipped"]
    static let wayNames: [String: String] = ["mail": "mail", "sms": "SMS", "voice": "voice", "weixin": "WeChat", "qy_weixin": "WeCom",
                                              "wxwork-bot": "WeCom bot", "rtx": "RTX", "bkchat": "BkChat"]

    /// Whether the row is exported at all: normal signals in a syncable status, collect rows
    /// (digests) in theirs. `received` rows, execution notices and demo rows are not.
    public static func isExported(signal: String, status: String) -> Bool {
        (normalSignals.contains(signal) && canSync.contains(status)) || (signal == "collect" && collectSync.contains(status))
    }

    /// `<create_ts><raw id>`.
    public static func documentId(createTime: Int64, id: Int64) -> String { "\(createTime)\(id)" }

    /// The index a row's document is written to: `<prefix>_<YYYYMMDD>` by the UTC date of
    /// `create_time`.
    public static func indexName(prefix: String, createTime: Int64) -> String {
        let iso = TimeParser.iso(createTime)   // 2026-11-23T10:00:00Z
        let day = iso.prefix(10).replacingOccurrences(of: "-", with: "")
        return "\(prefix)_\(day)"
    }

    /// The document, or nil when the row is not exported. Empty values are left out.
    public static func build(_ r: ExportRow, now: Int64) -> JSONValue? {
        guard isExported(signal: r.signal, status: r.status) else { return nil }
        func parse(_ t: String) -> JSONValue { (try? JSONParser.parse(t)) ?? .null }
        let inputs = parse(r.inputs), outputs = parse(r.outputs), exData = parse(r.exData)
        let plugin = parse(r.actionPlugin), config = parse(r.actionConfig), strategy = parse(r.strategy)
        let terminal = ActionStatus(rawValue: r.status)?.isTerminal ?? false
        var seen = Set<String>()
        let alertIds = (parse(r.alerts).arrayValue ?? []).compactMap(\.scalarText).filter { seen.insert($0).inserted }
        let operators: [JSONValue]
        switch inputs["notice_receiver"] {
        case .array(let list)?: operators = list
        case let v? where v.scalarText != nil: operators = [v]
        default: operators = parse(r.assignee).arrayValue ?? []
        }
        let pluginKey = plugin["plugin_key"]?.stringValue ?? plugin["plugin_type"]?.stringValue ?? ""
        let name = config["name"]?.stringValue ?? (pluginKey == "message_queue" ? "message queue" : "")
        let way = inputs["notice_way"]?.stringValue
        let message = exData["message"]?.stringValue ?? ""
        var statusText = terminal ? r.status : "running"
        if r.status == "failure" || r.status == "skipped", !message.isEmpty { statusText += ", reason: \(message)" }
        let contentText = [way.map { wayNames[$0] ?? $0 }, name.isEmpty ? nil : name, statusText].compactMap { $0 }.joined(separator: " ")
        let target = outputs["target_info"]?.objectValue ?? [:]
        var d: [String: JSONValue] = [
            "id": .string(documentId(createTime: r.createTime, id: r.id)),
            "raw_id": .int(r.id),
            "op_type": "ACTION",
            "create_time": .int(r.createTime),
            "update_time": .int(r.updateTime),
            "end_time": r.endTime.map { .int($0) } ?? .null,
            "status": .string(terminal ? r.status : "running"),
            "failure_type": r.failureType.map { .string($0) } ?? .null,
            "ex_data": exData,
            "strategy_id": .string(String(r.strategyId)),
            "strategy_name": strategy["name"] ?? target["strategy_name"] ?? .null,
            "signal": .string(r.signal),
            "alert_level": .int(r.alertLevel),
            "alert_id": .array(alertIds.map { .string($0) }),
            "operator": .array(operators),
            "inputs": inputs, "outputs": outputs, "action_plugin": plugin, "action_config": config,
            "execute_times": .int(r.executeTimes),
            "action_plugin_type": .string(pluginKey),
            "action_name": .string(name),
            "action_config_id": .string(String(r.actionConfigId)),
            "is_parent_action": .bool(r.isParentAction),
            "parent_action_id": .string(String(r.parentActionId)),
            "duration": .int(max((r.endTime ?? now) - r.createTime, 0)),
            "converge_id": .string(inputs["converge_id"]?.scalarText ?? "0"),
            "is_converge_primary": .bool(false),
            "content": ["text": .string(contentText), "action_plugin_type": .string(pluginKey)],
            "dimensions": parse(r.dimensions),
            "bk_biz_id": .string(r.bkBizId),
        ]
        for key in ["bk_biz_name", "bk_target_display", "operate_target_string", "bk_set_ids", "bk_set_names", "bk_module_ids", "bk_module_names"] {
            if let v = target[key] { d[key] = v }
        }
        if let way, d["operate_target_string"] == nil { d["operate_target_string"] = .string(wayNames[way] ?? way) }
        return .object(d.filter { !isEmpty($0.value) })
    }

    static func isEmpty(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return true
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        default: return false
        }
    }

    /// The index template: the original's mapping (dynamic false) for `<prefix>_*`.
    public static func indexTemplate(prefix: String, shards: Int, replicas: Int) -> JSONValue {
        func kw() -> JSONValue { ["type": "keyword"] }
        func text() -> JSONValue { ["type": "text", "fields": ["raw": ["type": "keyword"]]] }
        func date() -> JSONValue { ["type": "date", "format": "epoch_second"] }
        func disabled() -> JSONValue { ["type": "object", "enabled": false] }
        let properties: [String: JSONValue] = [
            "bk_tenant_id": kw(), "alert_id": kw(), "create_time": date(), "op_type": kw(), "id": kw(), "raw_id": ["type": "long"],
            "status": kw(), "failure_type": kw(), "ex_data": disabled(), "strategy_id": kw(), "strategy_name": text(), "signal": kw(),
            "alert_level": kw(), "operator": kw(), "inputs": disabled(), "outputs": disabled(), "execute_times": ["type": "long"],
            "action_plugin_type": kw(), "action_name": text(), "action_config_id": kw(), "is_parent_action": ["type": "boolean"],
            "parent_action_id": kw(), "related_action_ids": kw(), "update_time": date(), "end_time": date(), "duration": ["type": "long"],
            "converge_id": kw(), "is_converge_primary": ["type": "boolean"], "operate_target_string": kw(), "content": disabled(),
            "action_plugin": disabled(), "action_config": disabled(), "dimensions": disabled(), "bk_target_display": kw(),
            "bk_biz_id": kw(), "bk_biz_name": kw(), "bk_set_ids": kw(), "bk_set_names": kw(), "bk_module_ids": kw(), "bk_module_names": kw(),
        ]
        return [
            "index_patterns": [.string("\(prefix)_*")],
            "priority": 100,
            "version": .int(templateVersion),
            "template": [
                "settings": ["number_of_shards": .int(Int64(shards)), "number_of_replicas": .int(Int64(replicas)), "refresh_interval": "1s"],
                "mappings": ["dynamic": false, "properties": .object(properties)],
            ],
        ]
    }

    /// Bumped whenever the mapping above changes, so the template is replaced on the next run.
    public static let templateVersion: Int64 = 1
}
