import Foundation

/// The template variables of the original (docs/templates.md "The original's variables"):
/// `alarm.*`, `content.*`, `business.*`, `target.*`, `action_instance.*`, `strategy.item`,
/// `level_name`, `user_content`... built from what an action row carries (its alert and strategy
/// snapshots, its own columns), with the original's names, formats and wording. What the
/// original read from its CMDB, shield cache or log search is filled from the event when it
/// carries it, else left empty.
package enum OriginalContext {
    /// What the variables depend on beyond the action: language, time zone, links, names.
    package struct Settings: Sendable, Equatable {
        package var language: NoticeTemplates.Language = .en
        /// IANA zone of the times shown (`tick.timezone`); nil: UTC.
        package var timezone: String? {
            didSet { zone = timezone.flatMap(ZoneClock.init(identifier:)) }
        }
        /// The original's site (`templates.site_url`), for `alarm.detail_url` and similar links.
        package var siteURL: String?
        /// `notice_title` (the original's "蓝鲸监控"), `templates.notice_title`.
        package var noticeTitle: String?
        /// Business names by id (`templates.business_names`), for `business.bk_biz_name`.
        package var businessNames: [String: String] = [:]
        var zone: ZoneClock?

        package init() {}

        package static func == (a: Settings, b: Settings) -> Bool {
            a.language == b.language && a.timezone == b.timezone && a.siteURL == b.siteURL && a.noticeTitle == b.noticeTitle
                && a.businessNames == b.businessNames
        }

        var zh: Bool { language == .zh }
        func text(_ zh: String, _ en: String) -> String { self.zh ? zh : en }
    }

    /// The members the original adds to `strategy` (``Builder/strategyObject()``).
    package static let strategyAdditions = ["item", "strategy_id"]

    /// The top-level names this builds; everything else of a context comes from elsewhere.
    package static let names: Set<String> = ["alarm", "content", "business", "target", "action_instance", "level_name", "level_color",
                                             "alert_level", "notice_way", "notice_receiver", "notice_title", "user_content"]

    /// Whether a template names one of them as a top-level variable (`alarm.name`, not
    /// `notice.level_name`), or the original's additions to `strategy`; templates that do not
    /// are rendered without building them.
    package static func isReferenced(in text: String) -> Bool {
        // Only what is inside `{{ }}` and `{% %}` names variables.
        var bytes: [UInt8] = []
        var inside = false
        var previous: UInt8 = 0
        for b in text.utf8 {
            if !inside, previous == 0x7B, b == 0x7B || b == 0x25 { inside = true; bytes.append(0x20) } else if inside, b == 0x7D, previous == 0x7D || previous == 0x25 {
                inside = false
                bytes.append(0x20)
            } else if inside {
                bytes.append(b)
            }
            previous = b
        }
        func isWord(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F }
        for name in (names.map { $0 } + strategyAdditions.map { "strategy." + $0 }).map({ Array($0.utf8) }) {
            guard bytes.count >= name.count else { continue }
            var i = 0
            while i + name.count <= bytes.count {
                if bytes[i] == name[0], bytes[i..<(i + name.count)].elementsEqual(name) {
                    let before: UInt8 = i > 0 ? bytes[i - 1] : 0x20
                    let after: UInt8 = i + name.count < bytes.count ? bytes[i + name.count] : 0x20
                    if !isWord(before), before != 0x2E, !isWord(after) { return true }
                }
                i += 1
            }
        }
        return false
    }

    /// All of them for one action at `now`; `strategy` is the action's snapshot, given back with
    /// the original's extra members (``strategyAdditions``).
    package static func build(_ a: ClaimedAction, alert: JSONValue, strategy: JSONValue, alerts: JSONValue, now: Int64,
                              settings: Settings) -> (members: [String: JSONValue], strategy: JSONValue) {
        let b = Builder(a, alert: alert, strategy: strategy, alerts: alerts, now: now, settings: settings)
        return (b.members(), b.strategyObject())
    }

    // MARK: Formats

    /// The original's duration text: the first two non-zero of days, hours, minutes, seconds.
    package static func hms(_ seconds: Int64) -> String {
        var rest = max(0, seconds)
        var parts: [String] = []
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60), ("s", 1)] {
            let n = rest / size
            rest %= size
            if n > 0 { parts.append("\(n)\(unit)") }
            if parts.count == 2 { break }
        }
        return parts.isEmpty ? "0s" : parts.joined(separator: " ")
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC (the callback message's times).
    package static func utc(_ t: Int64) -> String { TimeParser.format(t, separator: " ", zone: "") }

    /// A local time with its offset: `+0800` (`colon` false, the original's `%z`) or `+08:00`
    /// (a Python datetime printed as is).
    package static func local(_ t: Int64, zone: ZoneClock?, colon: Bool) -> String {
        let offset = zone?.offset(at: t) ?? 0
        var z = ZoneClock.offsetText(offset)
        if colon { z.insert(":", at: z.index(z.startIndex, offsetBy: 3)) }
        return TimeParser.format(t + offset, separator: " ", zone: z)
    }

    /// Python's `json.dumps` with its defaults (`ensure_ascii`, `", "` and `": "`), keys in the
    /// order given; objects taken as they are from an alert are written with sorted keys.
    package enum PythonJSON {
        indirect case object([(String, PythonJSON)])
        indirect case array([PythonJSON])
        case value(JSONValue)

        package var text: String {
            var out = ""
            write(&out)
            return out
        }

        func write(_ out: inout String) {
            switch self {
            case .object(let members):
                out += "{"
                for (i, (k, v)) in members.enumerated() {
                    if i > 0 { out += ", " }
                    PythonJSON.string(k, &out)
                    out += ": "
                    v.write(&out)
                }
                out += "}"
            case .array(let items):
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += ", " }
                    item.write(&out)
                }
                out += "]"
            case .value(let v): PythonJSON.value(v, &out)
            }
        }

        static func value(_ v: JSONValue, _ out: inout String) {
            switch v {
            case .null: out += "null"
            case .bool(let b): out += b ? "true" : "false"
            case .int(let i): out += String(i)
            case .double(let d):
                if d.isNaN { out += "NaN" } else if d.isInfinite { out += d > 0 ? "Infinity" : "-Infinity" } else { out += "\(d)" }
            case .string(let s): string(s, &out)
            case .array(let items):
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += ", " }
                    value(item, &out)
                }
                out += "]"
            case .object(let o):
                out += "{"
                for (i, k) in o.keys.sorted().enumerated() {
                    if i > 0 { out += ", " }
                    string(k, &out)
                    out += ": "
                    value(o[k]!, &out)
                }
                out += "}"
            }
        }

        static func string(_ s: String, _ out: inout String) {
            out += "\""
            for u in s.utf16 {
                switch u {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                case 0x08: out += "\\b"
                case 0x0C: out += "\\f"
                case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(UInt8(u)))
                default:
                    let hex = String(u, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            }
            out += "\""
        }
    }

    // MARK: Builder

    final class Builder {
        let a: ClaimedAction
        let alert: [String: JSONValue]
        let strategy: JSONValue
        /// The action's own strategy snapshot (`strategy` falls back to the alert's).
        let own: JSONValue
        let alerts: [JSONValue]
        let now: Int64
        let s: Settings
        let way: String
        let event: JSONValue
        let extra: JSONValue

        init(_ a: ClaimedAction, alert: JSONValue, strategy: JSONValue, alerts: JSONValue, now: Int64, settings: Settings) {
            self.a = a
            self.alert = alert.objectValue ?? [:]
            // The action's strategy snapshot, else the one the alert carries (as the original).
            own = strategy
            self.strategy = (strategy.objectValue ?? [:]).isEmpty ? (alert["extra_info"]?["strategy"] ?? .object([:])) : strategy
            self.alerts = alerts.arrayValue ?? []
            self.now = now
            s = settings
            let inputs = a.json(\.inputs)
            way = inputs["notice_way"]?.stringValue ?? "weixin"
            event = alert["event"] ?? .object([:])
            extra = alert["extra_info"] ?? .object([:])
        }

        func int(_ v: JSONValue?) -> Int64? { v?.intValue }
        func str(_ v: JSONValue?) -> String? { v?.scalarText }

        var severity: Int64 { int(alert["severity"]) ?? a.alertLevel }
        var status: String { (str(alert["status"]) ?? "ABNORMAL").uppercased() }

        lazy var levelName: String = {
            let names = s.zh ? NoticeContext.levels[.zh] ?? [:] : [1: "Emergency", 2: "Critical", 3: "Warning"]
            let base = names[severity] ?? String(severity)
            // The original's double-check tag marks a suspected anomaly.
            let tags = (event["tags"]?.arrayValue ?? []) + (alert["tags"]?.arrayValue ?? [])
            let suspected = tags.contains { ($0["key"]?.stringValue ?? "").hasPrefix("is_double_check") }
            return (suspected ? s.text("[疑似异常]", "[Suspected]") : "") + base
        }()
        var levelColor: String { [1: "#EA3636", 2: "#FF9C01", 3: "#FFDE3A"][Int(severity)] ?? "#000000" }

        /// A time from the alert, held to the range times are checked against (the alert's fields
        /// come from monitored systems: no arithmetic on them may overflow).
        func time(_ key: String) -> Int64? { int(alert[key]).map { min(max($0, InputLimits.time.lowerBound), InputLimits.time.upperBound) } }
        var beginTime: Int64 { time("begin_time") ?? a.createTime }
        var createTime: Int64 { time("create_time") ?? beginTime }
        var latestTime: Int64 { time("latest_time") ?? beginTime }
        var firstAnomalyTime: Int64 { time("first_anomaly_time") ?? beginTime }
        var duration: Int64 {
            if let d = int(alert["duration"]), d > 0 { return min(d, InputLimits.time.upperBound) }
            return max(latestTime - firstAnomalyTime, 60)
        }
        var durationString: String? { latestTime == firstAnomalyTime ? nil : OriginalContext.hms(duration) }

        var eventDescription: String { str(event["description"]) ?? str(alert["description"]) ?? "" }

        /// `alarm.description`: how long it lasts and what the event says, or how it ended.
        lazy var description: String = {
            guard status == "ABNORMAL" else {
                if let end = str(extra["end_description"]), !end.isEmpty { return end }
                return status == "RECOVERED" ? s.text("当前告警已恢复", "Current alarm Recovered") : s.text("当前告警已失效", "Current alarm Closed")
            }
            let lasting = durationString.map { s.text("已持续\($0)", "Continue \($0)") } ?? s.text("新告警", "New Alarm")
            return eventDescription.isEmpty ? lasting : "\(lasting), \(eventDescription)"
        }()

        var originAlarm: JSONValue { event["extra_info"]?["origin_alarm"] ?? .object([:]) }

        var currentValue: JSONValue {
            if isNoData { return .null }
            if status == "RECOVERED" { return extra["recovery_value"] ?? .null }
            return originAlarm["data"]?["value"] ?? .null
        }

        var isNoData: Bool {
            (event["tags"]?.arrayValue ?? []).contains { $0["key"]?.stringValue == "__NO_DATA_DIMENSION__" }
        }

        /// The alert's dimensions as the original shows them: `(key, display key, display value)`.
        lazy var dimensions: [(key: String, name: String, value: String)] = {
            let own = a.json(\.dimensions, default: .emptyArray).arrayValue ?? []
            let list = own.isEmpty ? (alert["dimensions"]?.arrayValue ?? []) : own
            return list.compactMap { d in
                guard let key = str(d["key"]), !key.isEmpty else { return nil }
                let value = str(d["display_value"]).flatMap { $0.isEmpty ? nil : $0 } ?? str(d["value"]).flatMap { $0.isEmpty ? nil : $0 } ?? "--"
                let name = str(d["display_key"]).flatMap { $0.isEmpty ? nil : $0 } ?? key
                return (key.hasPrefix("tags.") ? String(key.dropFirst(5)) : key, name, value)
            }
        }()
        static let hidden: Set<String> = ["alert_name", "strategy_id", "target_type", "target", "bk_biz_id"]
        var displayDimensions: [(key: String, name: String, value: String)] { dimensions.filter { !Builder.hidden.contains($0.key) } }
        var dimensionString: String {
            displayDimensions.sorted { $0.name < $1.name }.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
        }

        static let targetKeys = ["bk_target_ip", "bk_target_cloud_id", "bk_target_service_instance_id", "ip", "bk_topo_node",
                                 "bk_service_instance_id", "target", "bk_host_id"]
        var targetString: String {
            var byKey: [String: String] = [:]
            for d in dimensions where byKey[d.key] == nil { byKey[d.key] = d.value }
            let parts = Builder.targetKeys.compactMap { byKey[$0] }
            let one = parts.isEmpty ? (str(event["target"]) ?? "") : parts.joined(separator: ":")
            let count = max(alerts.count, 1)
            return count > 1 && !one.isEmpty ? "\(one)(\(count))" : one
        }
        var targetType: String { str(event["target_type"]) ?? str(alert["target_type"]) ?? "" }
        var targetTypeName: String {
            switch targetType {
            case "HOST": return "IP"
            case "SERVICE": return s.text("实例", "Instance")
            case "TOPO": return s.text("节点", "Node")
            default: return targetType
            }
        }

        var bizId: String { str(event["bk_biz_id"]) ?? str(alert["bk_biz_id"]) ?? a.bkBizId }
        var bizName: String { s.businessNames[bizId] ?? str(alert["bk_biz_name"]) ?? str(event["bk_biz_name"]) ?? "" }
        var bizDisplay: String {
            let name = bizName.isEmpty ? bizId : bizName
            return (Int64(bizId) ?? 0) > 0 ? "[\(bizId)]\(name) (\(s.text("业务", "Business")))" : "\(name)(\(s.text("业务", "Business")))"
        }

        var site: String? { s.siteURL.map { $0.hasSuffix("/") ? $0 : $0 + "/" } }
        var detailURL: String? {
            guard way != "sms", let site else { return nil }
            return "\(site)?bizId=\(bizId)#/trace/alarm-center?queryString=action_id%20%3A%20\(a.esActionId)&filterMode=queryString"
        }

        var items: [JSONValue] { strategy["items"]?.arrayValue ?? [] }
        var firstQuery: JSONValue { items.first?["query_configs"]?.arrayValue?.first ?? .object([:]) }
        var dataSourceName: String {
            guard strategy.objectValue?.isEmpty == false else { return "--" }
            let dsl = str(firstQuery["data_source_label"]) ?? "", dtl = str(firstQuery["data_type_label"]) ?? ""
            let names: [String: (String, String)] = [
                "bk_monitor_time_series": ("监控采集指标", "Monitor Collector Metric"), "custom_time_series": ("自定义指标", "Custom Metric"),
                "bk_log_search_log": ("日志平台关键字", "Log Keyword"), "bk_monitor_event": ("系统事件", "System Event"),
                "custom_event": ("自定义事件", "Custom Event"), "bk_fta_alert": ("第三方告警", "Third-party Alert"),
                "bk_fta_event": ("第三方告警", "Third-party Alert"), "prometheus_time_series": ("Prometheus", "Prometheus"),
            ]
            if let n = names["\(dsl)_\(dtl)"] { return s.text(n.0, n.1) }
            return dsl.isEmpty && dtl.isEmpty ? "--" : "\(dsl)_\(dtl)"
        }
        var labels: [JSONValue] { strategy["labels"]?.arrayValue ?? [] }

        var assignees: [JSONValue] { alert["assignee"]?.arrayValue ?? a.json(\.assignee, default: .emptyArray).arrayValue ?? [] }
        var appointees: [JSONValue] { alert["appointee"]?.arrayValue ?? [] }
        var receiversText: String {
            let inputs = a.json(\.inputs)
            if let r = inputs["notice_receiver"] {
                if let list = r.arrayValue { return list.compactMap(\.scalarText).joined(separator: ",") }
                if let one = r.scalarText { return one }
            }
            return assignees.compactMap(\.scalarText).joined(separator: ",")
        }

        var displayType: String { isNoData ? s.text("发生无数据告警", "No data alarm occurred") : s.text("发生告警", "Alarm Occurs") }

        // MARK: Objects

        func alarm() -> JSONValue {
            var o: [String: JSONValue] = [
                "id": alert["id"] ?? alerts.first ?? .string(""), "name": .string(str(alert["alert_name"]).flatMap { $0.isEmpty ? nil : $0 } ?? "--"),
                "level": .int(severity), "level_name": .string(levelName), "display_type": .string(displayType),
                "begin_time": .string(OriginalContext.local(beginTime, zone: s.zone, colon: true)), "begin_timestamp": .int(beginTime),
                "time": .string(OriginalContext.local(createTime, zone: s.zone, colon: true)),
                "duration": .int(duration), "duration_string": durationString.map(JSONValue.string) ?? .null,
                "description": .string(description), "current_value": currentValue,
                "dimension_string": .string(dimensionString), "target_string": .string(targetString),
                "target_display": .string(str(event["target"]) ?? ""), "target_type": .string(targetType), "target_type_name": .string(targetTypeName),
                "collect_count": .int(Int64(max(alerts.count, 1))), "notice_from": .string(s.text("蓝鲸监控", "BK Monitor")),
                "data_source_name": .string(dataSourceName), "receivers": .array(assignees), "appointees": .array(appointees),
                "assignees": .string(assignees.compactMap(\.scalarText).joined(separator: ",")),
                "related_info": .string("--"), "callback_message": .string(callbackMessage()),
                "bkm_info": bkmInfo,
            ]
            var display: [String: JSONValue] = [:]
            for d in displayDimensions { display[d.key] = ["display_name": .string(d.name), "display_value": .string(d.value)] }
            o["display_dimensions"] = .object(display)
            o["detail_url"] = detailURL.map(JSONValue.string) ?? .null
            if let site {
                o["strategy_url"] = .string("\(site)?bizId=\(bizId)#/strategy-config/detail/\(str(strategy["id"]) ?? String(a.strategyId))")
            }
            return .object(o)
        }

        var bkmInfo: JSONValue {
            guard let text = originAlarm["data"]?["values"]?["extra_info"]?.stringValue, let v = try? JSONParser.parse(text), v.objectValue != nil else {
                return .object([:])
            }
            return v
        }

        /// The whole alert as the original's webhook default sends it (`{{alarm.callback_message}}`).
        func callbackMessage() -> String {
            let type: String
            if a.pluginType == "message_queue" {
                type = ["abnormal": "ANOMALY_PUSH", "no_data": "ANOMALY_PUSH", "recovered": "RECOVERY_PUSH", "closed": "CLOSE_PUSH"][a.signal] ?? "ANOMALY_PUSH"
            } else {
                type = ["abnormal": "ANOMALY_NOTICE", "no_data": "ANOMALY_NOTICE", "recovered": "RECOVERY_NOTICE", "closed": "closed"][a.signal] ?? "manual"
            }
            func time(_ v: JSONValue?) -> JSONValue { int(v).map { .string(OriginalContext.utc($0)) } ?? .null }
            let aggDimensions = extra["agg_dimensions"] ?? firstQuery["agg_dimension"] ?? .array([])
            let itemList: [PythonJSON] = items.flatMap { item -> [PythonJSON] in
                (item["query_configs"]?.arrayValue ?? []).map { q in
                    let metricId = str(q["metric_id"]) ?? ""
                    let dsl = str(q["data_source_label"]) ?? "", dtl = str(q["data_type_label"]) ?? ""
                    let dsName = ["bk_monitor": "监控平台", "bk_log_search": "日志平台", "bk_data": "计算平台", "custom": "用户自定义"][dsl] ?? "其他"
                    let dtName = ["log": "日志关键字", "event": "事件", "time_series": "时序"][dtl] ?? "其他"
                    return PythonJSON.object([
                        ("metric_field", .value(.string(String(metricId.split(separator: ".").last ?? "")))),
                        ("metric_field_name", .value(item["name"] ?? .string(""))),
                        ("data_source_label", .value(.string(dsl))), ("data_source_name", .value(.string(dsName))),
                        ("data_type_label", .value(.string(dtl))), ("data_type_name", .value(.string(dtName))),
                        ("metric_id", .value(.string(metricId))),
                    ])
                }
            }
            let hasStrategy = strategy.objectValue?.isEmpty == false
            let message = PythonJSON.object([
                ("type", .value(.string(type))),
                ("scenario", .value(strategy["scenario"] ?? .null)),
                ("bk_biz_id", .value(event["bk_biz_id"] ?? alert["bk_biz_id"] ?? .string(a.bkBizId))),
                ("bk_biz_name", .value(.string(bizName))),
                ("event", .object([
                    ("id", .value(alert["id"] ?? .null)), ("event_id", .value(alert["id"] ?? .null)),
                    ("is_shielded", .value(.bool(alert["is_shielded"]?.boolValue ?? false))),
                    ("begin_time", .value(time(alert["begin_time"]))), ("create_time", .value(time(alert["create_time"]))),
                    ("end_time", .value(time(alert["end_time"]))), ("level", .value(.int(severity))),
                    ("level_name", .value(.string(levelName))), ("agg_dimensions", .value(aggDimensions)),
                    ("dimensions", .value(originAlarm["data"]?["dimensions"] ?? .object([:]))),
                    ("dimension_translation", .value(originAlarm["dimension_translation"] ?? .object([:]))),
                ])),
                ("strategy", .object([
                    ("id", .value(hasStrategy ? (strategy["id"] ?? .null) : .null)), ("name", .value(strategy["name"] ?? .string(""))),
                    ("scenario", .value(strategy["scenario"] ?? .null)), ("item_list", .array(itemList)),
                ])),
                ("latest_anomaly_record", .object([
                    ("anomaly_id", .value(event["id"] ?? .null)), ("source_time", .value(time(event["time"]))),
                    ("create_time", .value(time(event["create_time"]))), ("origin_alarm", .value(originAlarm)),
                ])),
                ("current_value", .value(currentValue)),
                ("description", .value(.string(description))),
                ("related_info", .value(.string(""))),
                ("labels", .value(.array(labels))),
            ])
            return message.text
        }

        /// `content.*`: each a labelled row in the way's format, empty when the original leaves
        /// the row out for that way.
        func content() -> JSONValue {
            let mail = way == "mail", sms = way == "sms", markdown = way == "wxwork-bot"
            func row(_ zh: String, _ en: String, _ value: String?) -> JSONValue {
                guard let value else { return .string("") }
                let label = s.text(zh, en) + ": "
                if markdown { return .string("**\(label)**\(value)") }
                if mail {
                    // Alert text is HTML-escaped in mail (it comes from monitored systems).
                    return .string("<tr><td style=\"color: #979BA5\">\(label)</td><td>\(HTMLText.escape(value))</td></tr><tr><td colspan=\"4\" style=\"height: 20px\"></td></tr>")
                }
                return .string(label + value)
            }
            let time = sms ? nil : OriginalContext.local(latestTime, zone: s.zone, colon: false)
            let begin = sms ? nil : OriginalContext.local(beginTime, zone: s.zone, colon: false)
            let value: String? = mail ? currentValue.scalarText.map { v in v + (str(firstQuery["unit"]) ?? str(items.first?["unit"]) ?? "") } : nil
            let dims = displayDimensions.isEmpty ? nil : dimensionString
            var o: [String: JSONValue] = [
                "level": row("告警级别", "Alarm Severity", mail ? levelName : nil),
                "time": row("最近异常", "Last Triggered", time), "begin_time": row("首次异常", "First Triggered", begin),
                "duration": row("持续时间", "Duration", mail ? durationString : nil),
                "target_type": row("告警对象", "Alarm Object", mail ? targetTypeName : nil),
                "data_source": row("数据来源", "Data Source", mail ? dataSourceName : nil),
                "content": mail ? row("告警内容", "Alarm Content", description) : row("内容", "Content", description),
                "current_value": row("当前值", "Value", value),
                "biz": row("所属空间", "Belongs to space", bizDisplay),
                "target": row("目标", "Target", targetString.isEmpty ? nil : targetString),
                "dimension": row("维度", "Dimension", dims),
                "receivers": row("告警接收人", "Receivers", receiversText.isEmpty ? nil : receiversText),
                "appointees": row("负责人", "Owner", appointees.isEmpty ? nil : appointees.compactMap(\.scalarText).joined(separator: ",")),
                "assign_detail": .string(""), "assign_reason": .string(""), "ack_operators": .string(""), "ack_reason": .string(""),
                "related_info": row("关联信息", "Related Info", sms ? nil : "--"),
            ]
            if sms {
                o["detail"] = row("告警ID", "Alert ID", str(alert["id"]))
            } else {
                o["detail"] = row("详情", "Details", mail || markdown ? nil : detailURL)
            }
            return .object(o)
        }

        /// The original's default user content (its 14 `content.*` lines) in the way's format,
        /// blank rows left out.
        func userContent(_ content: JSONValue) -> String {
            let order = ["level", "begin_time", "time", "duration", "target_type", "data_source", "content", "current_value", "biz", "target",
                         "dimension", "detail", "assign_detail", "related_info"]
            // Blank rows are dropped, except in markdown (as the original's row renderer).
            return order.compactMap { content[$0]?.stringValue }.filter { !$0.isEmpty || way == "wxwork-bot" }.joined(separator: "\n")
        }

        func business() -> JSONValue {
            // Without a configured or carried name, the id (the original always had the name).
            ["bk_biz_id": .string(bizId), "bk_biz_name": .string(bizName.isEmpty ? bizId : bizName), "display_name": .string(bizDisplay)]
        }

        /// `target.*`: the business, and the host as far as the alert's dimensions name it.
        func target(_ business: JSONValue) -> JSONValue {
            var byKey: [String: String] = [:]
            for d in dimensions where byKey[d.key] == nil { byKey[d.key] = d.value }
            var host: [String: JSONValue] = [:]
            if let ip = byKey["bk_target_ip"] ?? byKey["ip"] ?? str(event["ip"]) { host["bk_host_innerip"] = .string(ip) }
            if let cloud = byKey["bk_target_cloud_id"] ?? byKey["bk_cloud_id"] ?? str(event["bk_cloud_id"]) { host["bk_cloud_id"] = .string(cloud) }
            if let id = byKey["bk_host_id"] ?? str(event["bk_host_id"]) { host["bk_host_id"] = .string(id) }
            return ["business": business, "host": .object(host)]
        }

        func actionInstance() -> JSONValue {
            let config = a.json(\.actionConfig), plugin = a.json(\.actionPlugin)
            let end: Int64? = a.status.isTerminal ? now : nil
            let seconds = (end ?? now) - a.createTime
            let status: [String: (String, String)] = [
                "running": ("执行中", "Running"), "converged": ("执行中", "Running"), "waiting": ("异常防御审批中", "Waiting for approval"),
                "success": ("成功", "Success"), "partial_success": ("部分成功", "Partial success"), "failure": ("失败", "Failure"),
                "partial_failure": ("部分失败", "Partial failure"), "skipped": ("已收敛", "Converged"), "shield": ("已屏蔽", "Shielded"),
                "blocked": ("已熔断", "Blocked"),
            ]
            let display = status[a.status == .received ? "running" : a.status.rawValue].map { s.text($0.0, $0.1) } ?? a.status.rawValue
            var o: [String: JSONValue] = [
                "name": config["name"] ?? .string(""), "plugin_type_name": plugin["name"] ?? .string(a.pluginType),
                "assignees": .string(a.json(\.assignee, default: .emptyArray).arrayValue?.compactMap(\.scalarText).joined(separator: ",") ?? ""),
                "operate_target_string": .string(a.pluginType == "notice" ? wayName : targetString),
                "start_time": .string(OriginalContext.local(a.createTime, zone: s.zone, colon: false)),
                "end_time": .string(end.map { OriginalContext.local($0, zone: s.zone, colon: false) } ?? "--"),
                "duration": .int(seconds), "duration_string": .string(OriginalContext.hms(seconds)),
                "status_display": .string(display), "action_id": .string(a.esActionId),
            ]
            if let site { o["detail_url"] = .string("\(site)?bizId=\(bizId)/#/event-center/action-detail/\(a.esActionId)") }
            return .object(o)
        }

        var wayName: String {
            let names: [String: (String, String)] = [
                "sms": ("短信", "SMS"), "mail": ("邮件", "Email"), "weixin": ("微信", "WeChat"), "wxwork": ("企业微信", "WeCom"),
                "voice": ("语音", "Voice"), "wxwork-bot": ("群机器人", "Group Bot"), "rtx": ("企业微信", "WeCom"),
            ]
            return names[way].map { s.text($0.0, $0.1) } ?? way
        }

        func members() -> [String: JSONValue] {
            let content = content()
            let business = business()
            let inputs = a.json(\.inputs)
            return [
                "alarm": alarm(), "content": content, "business": business, "target": target(business), "action_instance": actionInstance(),
                "level_name": .string(levelName), "level_color": .string(levelColor), "alert_level": .int(severity),
                "notice_way": .string(way), "notice_receiver": inputs["notice_receiver"] ?? .string(""),
                "notice_title": .string(s.noticeTitle ?? s.text("蓝鲸监控", "BK Monitor")),
                "user_content": .string(userContent(content)),
            ]
        }

        /// The strategy snapshot with the original's `strategy_id` and `item` (the first item's
        /// name, unit, metric and aggregation).
        func strategyObject() -> JSONValue {
            // The action's own snapshot with members added, none changed (fta's templates keep
            // what they read).
            var o = own.objectValue ?? [:]
            o["strategy_id"] = o["id"] ?? .int(a.strategyId)
            if let first = items.first {
                let q = firstQuery
                o["item"] = [
                    "name": first["name"] ?? .string(""), "unit": q["unit"] ?? first["unit"] ?? .string(""),
                    "metric_field": q["metric_field"] ?? .string(String((str(q["metric_id"]) ?? "").split(separator: ".").last ?? "")),
                    "result_table_id": q["result_table_id"] ?? .string(""), "agg_interval": q["agg_interval"] ?? .int(60),
                    "agg_method": q["agg_method"] ?? .string(""),
                ]
            }
            return .object(o)
        }
    }
}
