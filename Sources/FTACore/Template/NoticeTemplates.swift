/// Title and content templates for notices, per signal and notice way (original-system.md §3.1).
///
/// Choice, first match wins: the action config's `template_detail.template[signal]`
/// (`title_tmpl`, `message_tmpl`), then the config's `templates.<signal>.<way>`,
/// `templates.<signal>.default`, `templates.default.<way>`, `templates.default.default`, then the
/// shipped default for the way's kind (mail: HTML, sms/voice: one short line, IM ways: text,
/// wxwork-bot: markdown) in the configured language. `manual` and `no_data` use `abnormal`'s.
package struct NoticeTemplates: Sendable, Equatable {
    package enum Language: String, Sendable, CaseIterable { case en, zh }

    /// A template's text and the name errors use for it.
    package struct Source: Sendable, Equatable {
        package var name: String
        package var text: String
    }

    package struct Pair: Sendable, Equatable {
        package var title: String?
        package var content: String?
        package init(title: String? = nil, content: String? = nil) {
            self.title = title
            self.content = content
        }
    }

    package var language: Language
    /// `[signal or "default": [way or "default": Pair]]`.
    package var overrides: [String: [String: Pair]]
    /// What the original's template variables need (language and zone are set from the config).
    package var context = OriginalContext.Settings()
    /// `fta`: one template per notice, fta's defaults; `original`: the original's two stages
    /// (``OriginalNoticeTemplates``) for alarm, recovery and close notices.
    package var style = Style.fta

    package enum Style: String, Sendable, CaseIterable { case fta, original }

    package init(language: Language = .en, overrides: [String: [String: Pair]] = [:]) {
        self.language = language
        self.overrides = overrides
    }

    package enum Kind: String, Sendable { case html, short, text, markdown }

    package static func kind(of way: String) -> Kind {
        switch way {
        case "mail": return .html
        case "sms", "voice": return .short
        case "wxwork-bot": return .markdown
        default: return .text
        }
    }

    /// The signal whose templates a signal uses.
    package static func templateSignal(_ signal: String) -> String {
        signal == "manual" || signal == "no_data" ? "abnormal" : signal
    }

    /// Whether a notice of `signal` goes through the original's two stages (`style: original`,
    /// for the signals the original's default texts cover).
    package func usesOriginalStages(signal: String) -> Bool {
        style == .original && OriginalNoticeTemplates.covers(NoticeTemplates.templateSignal(signal))
    }

    /// The title and content templates for one send. `action` is the action config's
    /// `template_detail.template` list.
    package func pick(signal rawSignal: String, way: String, action: JSONValue? = nil) -> (title: Source, content: Source) {
        let signal = NoticeTemplates.templateSignal(rawSignal)
        let original = usesOriginalStages(signal: rawSignal)
        var title: Source?
        var content: Source?
        if case .array(let items)? = action {
            for item in items where NoticeTemplates.templateSignal(item["signal"]?.stringValue ?? "") == signal {
                if let t = item["title_tmpl"]?.stringValue, !t.isEmpty { title = title ?? Source(name: "action_config template[\(signal)].title_tmpl", text: t) }
                if let c = item["message_tmpl"]?.stringValue, !c.isEmpty { content = content ?? Source(name: "action_config template[\(signal)].message_tmpl", text: c) }
            }
        }
        for (s, w) in [(signal, way), (signal, "default"), ("default", way), ("default", "default")] {
            guard let pair = overrides[s]?[w] else { continue }
            if let t = pair.title { title = title ?? Source(name: "templates.\(s).\(w).title", text: t) }
            if let c = pair.content { content = content ?? Source(name: "templates.\(s).\(w).content", text: c) }
        }
        let kind = NoticeTemplates.kind(of: way)
        let set = signal == "collect" ? NoticeTemplates.digestDefaults : signal.hasPrefix("execute") ? NoticeTemplates.executionDefaults : NoticeTemplates.defaults
        let defaults = set[language] ?? [:]
        if original {
            return (title ?? Source(name: "the original's default title", text: OriginalNoticeTemplates.userTitle),
                    content ?? Source(name: "the original's default content", text: OriginalNoticeTemplates.userContent))
        }
        return (title ?? Source(name: "default \(language.rawValue) title", text: defaults[.short]?.title ?? ""),
                content ?? Source(name: "default \(language.rawValue) \(kind.rawValue) content", text: defaults[kind]?.content ?? ""))
    }

    /// Shipped defaults of digests (notices held back by a per-recipient cap).
    static let digestDefaults: [Language: [Kind: (title: String, content: String)]] = {
        let en = (short: "{{ notice.digest_count }} notices held back",
                  line: "{{ notice.digest_count }} notices held back ({{ notice.digest_reason }}) until {{ notice.digest_window_end }}: {{ notice.digest_titles_inline }}",
                  text: """
                      {{ notice.digest_count }} notices were held back for you ({{ notice.digest_reason }}) until {{ notice.digest_window_end }}:
                      {{ notice.digest_titles_text }}
                      """)
        let zh = (short: "{{ notice.digest_count }} 条通知已合并",
                  line: "截至 {{ notice.digest_window_end }} 有 {{ notice.digest_count }} 条通知因{{ notice.digest_reason_zh }}合并：{{ notice.digest_titles_inline }}",
                  text: """
                      截至 {{ notice.digest_window_end }}，有 {{ notice.digest_count }} 条通知因{{ notice.digest_reason_zh }}合并发送：
                      {{ notice.digest_titles_text }}
                      """)
        func kinds(_ t: (short: String, line: String, text: String)) -> [Kind: (title: String, content: String)] {
            [.short: (t.short, t.line), .text: ("", t.text), .markdown: ("", t.text),
             .html: ("", "<pre>" + t.text.replacingOccurrences(of: " }}", with: "|escape }}") + "</pre>")]
        }
        return [.en: kinds(en), .zh: kinds(zh)]
    }()

    /// Shipped defaults of execution notices (`execute`, `execute_success`, `execute_failed`).
    static let executionDefaults: [Language: [Kind: (title: String, content: String)]] = {
        let en = (short: "[{{ notice.level_name }}] {{ notice.signal_name }}: {{ notice.action_name }}",
                  line: "[{{ notice.level_name }}] {{ notice.signal_name }}: {{ notice.action_name }} for {{ notice.alert_name }}{% if notice.action_message %}: {{ notice.action_message }}{% endif %}",
                  text: """
                      [{{ notice.level_name }}] {{ notice.signal_name }}: {{ notice.action_name }}
                      Alert: {{ notice.alert_name }} ({{ alert.id }})
                      Action: {{ notice.action_name }} (action {{ notice.action_id }}, {{ notice.action_status }})
                      {% if notice.action_message %}Result: {{ notice.action_message }}
                      {% endif %}
                      """)
        let zh = (short: "【{{ notice.level_name }}】{{ notice.signal_name }}：{{ notice.action_name }}",
                  line: "【{{ notice.level_name }}】{{ notice.signal_name }}：{{ notice.action_name }}（{{ notice.alert_name }}）{% if notice.action_message %}：{{ notice.action_message }}{% endif %}",
                  text: """
                      【{{ notice.level_name }}】{{ notice.signal_name }}：{{ notice.action_name }}
                      告警：{{ notice.alert_name }}（{{ alert.id }}）
                      套餐：{{ notice.action_name }}（处理记录 {{ notice.action_id }}，{{ notice.action_status }}）
                      {% if notice.action_message %}结果：{{ notice.action_message }}
                      {% endif %}
                      """)
        func kinds(_ t: (short: String, line: String, text: String)) -> [Kind: (title: String, content: String)] {
            [.short: (t.short, t.line), .text: ("", t.text), .markdown: ("", t.text),
             .html: ("", "<pre>" + t.text.replacingOccurrences(of: " }}", with: "|escape }}") + "</pre>")]
        }
        return [.en: kinds(en), .zh: kinds(zh)]
    }()

    /// Shipped defaults (Stencil syntax) over the context of ``NoticeContext``.
    static let defaults: [Language: [Kind: (title: String, content: String)]] = [
        .en: [
            .short: ("[{{ notice.level_name }}] {{ notice.signal_name }}: {{ notice.alert_name }}",
                     "[{{ notice.level_name }}] {{ notice.signal_name }}: {{ notice.alert_name }}{% if notice.dimensions_text %} ({{ notice.dimensions_text }}){% endif %} since {{ notice.begin_time }}"),
            .text: ("", """
                [{{ notice.level_name }}] {{ notice.signal_name }}: {{ notice.alert_name }}
                Business: {{ notice.bk_biz_id }}
                Dimensions: {{ notice.dimensions_text }}
                First seen: {{ notice.begin_time }}
                Latest: {{ notice.latest_time }}
                {% if alert.description %}Description: {{ alert.description }}
                {% endif %}Alert id: {{ alert.id }}
                """),
            .html: ("", """
                <p><b>[{{ notice.level_name }}] {{ notice.signal_name }}: {{ notice.alert_name|escape }}</b></p>
                <table>
                <tr><td>Business</td><td>{{ notice.bk_biz_id|escape }}</td></tr>
                <tr><td>Dimensions</td><td>{{ notice.dimensions_text|escape }}</td></tr>
                <tr><td>First seen</td><td>{{ notice.begin_time }}</td></tr>
                <tr><td>Latest</td><td>{{ notice.latest_time }}</td></tr>
                {% if alert.description %}<tr><td>Description</td><td>{{ alert.description|escape }}</td></tr>{% endif %}
                <tr><td>Alert id</td><td>{{ alert.id|escape }}</td></tr>
                </table>
                """),
            .markdown: ("", """
                **[{{ notice.level_name }}] {{ notice.signal_name }}: {{ notice.alert_name }}**
                > Business: {{ notice.bk_biz_id }}
                > Dimensions: {{ notice.dimensions_text }}
                > First seen: {{ notice.begin_time }}
                {% if alert.description %}> Description: {{ alert.description }}
                {% endif %}> Alert id: {{ alert.id }}
                """),
        ],
        .zh: [
            .short: ("【{{ notice.level_name }}】{{ notice.signal_name }}：{{ notice.alert_name }}",
                     "【{{ notice.level_name }}】{{ notice.signal_name }}：{{ notice.alert_name }}{% if notice.dimensions_text %}（{{ notice.dimensions_text }}）{% endif %} 首次异常 {{ notice.begin_time }}"),
            .text: ("", """
                【{{ notice.level_name }}】{{ notice.signal_name }}：{{ notice.alert_name }}
                业务：{{ notice.bk_biz_id }}
                维度：{{ notice.dimensions_text }}
                首次异常：{{ notice.begin_time }}
                最近异常：{{ notice.latest_time }}
                {% if alert.description %}内容：{{ alert.description }}
                {% endif %}告警 ID：{{ alert.id }}
                """),
            .html: ("", """
                <p><b>【{{ notice.level_name }}】{{ notice.signal_name }}：{{ notice.alert_name|escape }}</b></p>
                <table>
                <tr><td>业务</td><td>{{ notice.bk_biz_id|escape }}</td></tr>
                <tr><td>维度</td><td>{{ notice.dimensions_text|escape }}</td></tr>
                <tr><td>首次异常</td><td>{{ notice.begin_time }}</td></tr>
                <tr><td>最近异常</td><td>{{ notice.latest_time }}</td></tr>
                {% if alert.description %}<tr><td>内容</td><td>{{ alert.description|escape }}</td></tr>{% endif %}
                <tr><td>告警 ID</td><td>{{ alert.id|escape }}</td></tr>
                </table>
                """),
            .markdown: ("", """
                **【{{ notice.level_name }}】{{ notice.signal_name }}：{{ notice.alert_name }}**
                > 业务：{{ notice.bk_biz_id }}
                > 维度：{{ notice.dimensions_text }}
                > 首次异常：{{ notice.begin_time }}
                {% if alert.description %}> 内容：{{ alert.description }}
                {% endif %}> 告警 ID：{{ alert.id }}
                """),
        ],
    ]
}

/// Builds the `notice` helper object templates see next to `alert`, `strategy` and `action`.
package enum NoticeContext {
    static let levels: [NoticeTemplates.Language: [Int64: String]] = [.en: [1: "fatal", 2: "warning", 3: "remind"], .zh: [1: "致命", 2: "预警", 3: "提醒"]]
    static let signals: [NoticeTemplates.Language: [String: String]] = [
        .en: ["abnormal": "alert", "no_data": "no data", "recovered": "recovered", "closed": "closed", "ack": "acknowledged", "manual": "alert",
              "execute": "action started", "execute_success": "action succeeded", "execute_failed": "action failed", "collect": "digest"],
        .zh: ["abnormal": "告警", "no_data": "无数据告警", "recovered": "恢复", "closed": "关闭", "ack": "已确认", "manual": "告警",
              "execute": "套餐开始执行", "execute_success": "套餐执行成功", "execute_failed": "套餐执行失败", "collect": "汇总"],
    ]

    /// `base` (with `alert`, `strategy`, `action`) plus `notice`: level and signal names in the
    /// language, alert name (strategy name when missing), dimensions as `k=v, ...`, times in UTC.
    package static func build(base: JSONValue, signal: String, level: Int64, language: NoticeTemplates.Language) -> JSONValue {
        base.setting("notice", fields(signal: signal, level: level, language: language) { path in path.reduce(Optional(base)) { $0?[$1] } })
    }

    /// The `notice` object alone. `base(path)` gives the value at a path of the base (what
    /// walking it gives), so a lazy context is asked only for the members the notice reads.
    package static func fields(signal: String, level: Int64, language: NoticeTemplates.Language,
                               base: ([String]) -> JSONValue?) -> JSONValue {
        let dims = (base(["alert", "dimensions"])?.arrayValue ?? []).compactMap { d -> String? in
            guard let k = (d["display_key"] ?? d["key"])?.scalarText, let v = (d["display_value"] ?? d["value"])?.scalarText else { return nil }
            return "\(k)=\(v)"
        }
        func time(_ v: JSONValue?) -> String { v?.intValue.map { TimeParser.format($0, separator: " ", zone: " UTC") } ?? "-" }
        let name = base(["alert", "alert_name"])?.scalarText ?? base(["strategy", "name"])?.scalarText ?? "alert \(base(["alert", "id"])?.scalarText ?? "")"
        var fields: [String: JSONValue] = [
            "level_name": .string(levels[language]?[level] ?? "\(level)"),
            "signal_name": .string(signals[language]?[signal] ?? signal),
            "alert_name": .string(name),
            "dimensions_text": .string(dims.joined(separator: ", ")),
            "begin_time": .string(time(base(["alert", "begin_time"]))),
            "latest_time": .string(time(base(["alert", "latest_time"]))),
            "bk_biz_id": .string(base(["alert", "event", "bk_biz_id"])?.scalarText ?? base(["action", "bk_biz_id"])?.scalarText ?? ""),
        ]
        if let source = base(["action", "inputs", "source_action"]), source.objectValue != nil {
            fields["action_name"] = .string(source["name"]?.scalarText ?? "")
            fields["action_id"] = .string(source["id"]?.scalarText ?? "")
            fields["action_status"] = .string(source["status"]?.scalarText ?? "")
            fields["action_message"] = .string(source["message"]?.scalarText ?? "")
        }
        if let digest = base(["action", "inputs", "digest"]), digest.objectValue != nil {
            let titles = (digest["titles"]?.arrayValue ?? []).compactMap(\.scalarText)
            let count = digest["count"]?.intValue ?? Int64(titles.count)
            let more = count > Int64(titles.count) ? ["… and \(count - Int64(titles.count)) more"] : []
            fields["digest_count"] = .string(String(count))
            fields["digest_titles_text"] = .string((titles.map { "- " + $0 } + more).joined(separator: "\n"))
            fields["digest_titles_inline"] = .string((titles + more).joined(separator: "; "))
            fields["digest_window_end"] = .string(time(digest["window_end"]))
            fields["digest_reason"] = .string(digest["reason"]?.scalarText ?? "recipient cap")
            fields["digest_reason_zh"] = .string(digest["reason_zh"]?.scalarText ?? "接收人上限")
        }
        return .object(fields)
    }
}
