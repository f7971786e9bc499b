/// One `action_instance` row as the exporter reads it.
package struct ExportRow: Sendable {
    package var id: Int64
    /// The change's number: the document's external version in Elasticsearch (it grows with
    /// every change of a row, on every backend).
    package var changeSeq: Int64
    /// The transaction that made the change (PostgreSQL; 0 on SQLite).
    package var changeXid: Int64 = 0
    package var signal: String
    package var status: String
    package var failureType: String?
    package var strategyId: Int64
    package var alertLevel: Int64
    package var bkBizId: String
    package var createTime: Int64
    package var updateTime: Int64
    package var endTime: Int64?
    package var executeTimes: Int64
    package var isParentAction: Bool
    package var parentActionId: Int64
    package var actionConfigId: Int64
    package var realStatus: String
    /// JSON texts.
    package var strategy = "{}", dimensions = "[]", alerts = "[]", exData = "{}", inputs = "{}", outputs = "{}"
    package var actionPlugin = "{}", actionConfig = "{}", assignee = "[]"
    /// The convergence the action belongs to (its `converge_relation`), and whether it was the
    /// one that ran for it; nil when it was not converged.
    package var convergeId: Int64?
    package var isConvergePrimary = false

    package init(id: Int64, changeSeq: Int64, signal: String, status: String, strategyId: Int64 = 0, createTime: Int64, updateTime: Int64) {
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

    /// Where this change stands in the feed.
    package var position: SyncPosition { SyncPosition(xid: changeXid, seq: changeSeq) }
}

/// The original's `ActionInstanceDocument` (original-system.md §5.3) and which rows are exported (§5.1).
package enum ActionDocument {
    static let normalSignals: Set<String> = ["abnormal", "recovered", "closed", "no_data", "manual", "ack"]
    static let canSync: Set<String> = ["waiting", "converging", "sleep", "converged", "running", "success", "partial_success",
                                       "partial_failure", "failure", "skipped", "shield", "blocked"]
    static let collectSync: Set<String> = ["waiting", "running", "success", "partial_success", "failure", "skipped"]
    static let wayNames: [String: String] = ["mail": "mail", "sms": "SMS", "voice": "voice", "weixin": "WeChat", "qy_weixin": "WeCom",
                                              "wxwork-bot": "WeCom bot", "rtx": "RTX", "bkchat": "BkChat"]

    /// Whether the row is exported at all: normal signals in a syncable status, collect rows
    /// (digests) in theirs. `received` rows, execution notices and demo rows are not.
    package static func isExported(signal: String, status: String) -> Bool {
        (normalSignals.contains(signal) && canSync.contains(status)) || (signal == "collect" && collectSync.contains(status))
    }

    /// `<create_ts><raw id>`.
    package static func documentId(createTime: Int64, id: Int64) -> String { "\(createTime)\(id)" }

    /// The index a row's document is written to: `<prefix>_<YYYYMMDD>` by the UTC date of
    /// `create_time`.
    package static func indexName(prefix: String, createTime: Int64, pattern: String = "{prefix}_{YYYY}{MM}{DD}") -> String {
        let day = AliasLayout.day(createTime)
        if pattern == "{prefix}_{YYYY}{MM}{DD}" { return "\(prefix)_\(day)" }
        let y = String(day.dropLast(4)), m = String(day.dropLast(2).suffix(2)), d = String(day.suffix(2))
        return pattern.replacingOccurrences(of: "{prefix}", with: prefix).replacingOccurrences(of: "{YYYY}", with: y)
            .replacingOccurrences(of: "{MM}", with: m).replacingOccurrences(of: "{DD}", with: d)
    }

    /// The glob of every index a pattern makes (`bkfta_action_*`), for the index template.
    package static func indexGlob(prefix: String, pattern: String) -> String {
        var glob = pattern.replacingOccurrences(of: "{prefix}", with: prefix)
        for token in ["{YYYY}", "{MM}", "{DD}"] { glob = glob.replacingOccurrences(of: token, with: "*") }
        while glob.contains("**") { glob = glob.replacingOccurrences(of: "**", with: "*") }
        return glob
    }

    static func isEmptyText(_ t: String) -> Bool { t.isEmpty || t == "{}" || t == "[]" || t == "null" || t == "\"\"" }

    /// The document as JSON bytes, written directly: the big JSON columns (action config,
    /// inputs, outputs...) go in as the text they are stored as, and only the few members the
    /// document needs are read out of them.
    package static func encode(_ r: ExportRow, now: Int64) -> [UInt8]? {
        guard isExported(signal: r.signal, status: r.status) else { return nil }
        let input = JSONParser.members(of: r.inputs, ["notice_receiver", "notice_way", "converge_id"])
        let receiver = input["notice_receiver"]
        let way = input["notice_way"]?.stringValue
        let pluginText = r.actionPlugin
        let plugin = JSONParser.members(of: pluginText, ["plugin_key", "plugin_type"])
        let pluginKey = plugin["plugin_key"]?.stringValue ?? plugin["plugin_type"]?.stringValue ?? ""
        let name = JSONParser.member(of: r.actionConfig, "name")?.stringValue ?? (pluginKey == "message_queue" ? "message queue" : "")
        let message = Redactor.maskText(JSONParser.member(of: r.exData, "message")?.stringValue ?? "")
        let target = JSONParser.member(of: r.outputs, "target_info")?.objectValue ?? [:]
        let terminal = ActionStatus(rawValue: r.status)?.isTerminal ?? false
        var statusText = terminal ? r.status : "running"
        if r.status == "failure" || r.status == "skipped", !message.isEmpty { statusText += ", reason: \(message)" }
        let contentText = [way.map { wayNames[$0] ?? $0 }, name.isEmpty ? nil : name, statusText].compactMap { $0 }.joined(separator: " ")
        var seen = Set<String>()
        let alertIds = ((try? JSONParser.parse(r.alerts))?.arrayValue ?? []).compactMap(\.scalarText).filter { seen.insert($0).inserted }
        let operators: JSONValue
        switch receiver {
        case .array(let list)?: operators = .array(list)
        case let v? where v.scalarText != nil: operators = .array([v])
        default: operators = (try? JSONParser.parse(r.assignee)) ?? .array([])
        }

        var out: [UInt8] = []
        out.reserveCapacity(r.actionConfig.utf8.count + r.inputs.utf8.count + r.outputs.utf8.count + r.exData.utf8.count + 768)
        var first = true
        func key(_ k: String) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: k.utf8)
            out.append(contentsOf: "\":".utf8)
        }
        // Stored JSON goes in as stored, with secrets masked (credentials of webhook and
        // gateway configs, tokens echoed in outputs): the same rule as `show` and the logs.
        func raw(_ k: String, _ text: String) {
            guard !isEmptyText(text) else { return }
            key(k)
            out.append(contentsOf: Redactor.maskJSONText(text).utf8)
        }
        func value(_ k: String, _ v: JSONValue) {
            guard !isEmpty(v) else { return }
            key(k)
            JSONWriter.append(v, to: &out, pretty: false, indent: 0)
        }
        func string(_ k: String, _ s: String) { value(k, .string(s)) }
        func int(_ k: String, _ i: Int64) { key(k); out.append(contentsOf: String(i).utf8) }

        raw("action_config", r.actionConfig)
        string("action_config_id", String(r.actionConfigId))
        string("action_name", name)
        raw("action_plugin", pluginText)
        string("action_plugin_type", pluginKey)
        value("alert_id", .array(alertIds.map { .string($0) }))
        int("alert_level", r.alertLevel)
        string("bk_biz_id", r.bkBizId)
        for k in ["bk_biz_name", "bk_module_ids", "bk_module_names", "bk_set_ids", "bk_set_names", "bk_target_display"] {
            if let v = target[k] { value(k, v) }
        }
        value("content", ["action_plugin_type": .string(pluginKey), "text": .string(contentText)])
        // The relation's instance; a summary action names the one it collects in its inputs.
        string("converge_id", r.convergeId.map { String($0) } ?? input["converge_id"]?.scalarText ?? "0")
        int("create_time", r.createTime)
        raw("dimensions", r.dimensions)
        int("duration", max((r.endTime ?? now) - r.createTime, 0))
        if let end = r.endTime { int("end_time", end) }
        raw("ex_data", r.exData)
        int("execute_times", r.executeTimes)
        if let f = r.failureType { string("failure_type", f) }
        string("id", documentId(createTime: r.createTime, id: r.id))
        raw("inputs", r.inputs)
        value("is_converge_primary", .bool(r.isConvergePrimary))
        value("is_parent_action", .bool(r.isParentAction))
        string("op_type", "ACTION")
        if let t = target["operate_target_string"] { value("operate_target_string", t) } else if let way { string("operate_target_string", wayNames[way] ?? way) }
        value("operator", operators)
        raw("outputs", r.outputs)
        string("parent_action_id", String(r.parentActionId))
        int("raw_id", r.id)
        string("signal", r.signal)
        string("status", terminal ? r.status : "running")
        string("strategy_id", String(r.strategyId))
        if let n = JSONParser.member(of: r.strategy, "name") ?? target["strategy_name"] { value("strategy_name", n) }
        int("update_time", r.updateTime)
        out.append(UInt8(ascii: "}"))
        return out
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
    package static func indexTemplate(prefix: String, shards: Int, replicas: Int, pattern: String = "{prefix}_{YYYY}{MM}{DD}") -> JSONValue {
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
            "index_patterns": [.string(indexGlob(prefix: prefix, pattern: pattern))],
            "priority": 100,
            "version": .int(templateVersion),
            "template": [
                "settings": ["number_of_shards": .int(Int64(shards)), "number_of_replicas": .int(Int64(replicas)), "refresh_interval": "1s"],
                "mappings": ["dynamic": false, "properties": .object(properties)],
            ],
        ]
    }

    /// Bumped whenever the mapping above changes, so the template is replaced on the next run.
    package static let templateVersion: Int64 = 1
}
