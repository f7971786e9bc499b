/// The original's notice texts (docs/templates.md "The original's notice texts"), used with
/// `templates.style: original`: a notice is rendered in two stages, as the original does. The
/// user's title and content templates (the package's `title_tmpl`/`message_tmpl`, the config's
/// `templates:` entries, else the original's defaults below) give `user_title` and
/// `user_content`; the way's own template for the signal then wraps them (`[致命] name` and the
/// content for IM ways, `蓝鲸监控通知，...` for SMS, a spoken line for voice, markdown for
/// `wxwork-bot`, an HTML page for mail). Texts are fta's own wording of the original's layout.
package enum OriginalNoticeTemplates {
    /// The original's default user title.
    package static let userTitle = "{{business.bk_biz_name}} - {{alarm.name}} {{alarm.display_type}}"
    /// The original's default user content: one `content.*` row per line.
    package static let userContent = ["level", "begin_time", "time", "duration", "target_type", "data_source", "content", "current_value",
                                      "biz", "target", "dimension", "detail", "assign_detail", "related_info"]
        .map { "{{content.\($0)}}" }.joined(separator: "\n")

    /// Signals with the original's own texts; others keep fta's.
    package static func covers(_ signal: String) -> Bool { ["abnormal", "no_data", "manual", "recovered", "closed"].contains(signal) }

    /// The way's title and content templates around `user_title` / `user_content`.
    package static func way(signal rawSignal: String, way: String, language: NoticeTemplates.Language) -> (title: String, content: String) {
        let signal = NoticeTemplates.templateSignal(rawSignal)
        let zh = language == .zh
        // The state in brackets before the level: none for an alarm, 已恢复 / 已关闭 otherwise.
        let state: String
        switch signal {
        case "recovered": state = zh ? "已恢复" : "Recovered"
        case "closed": state = zh ? "已关闭" : "Closed"
        default: state = ""
        }
        let tag = state.isEmpty ? "" : "[\(state)]"
        let title: String
        if way == "mail" {
            title = (state.isEmpty ? "" : "【\(state)】") + "【{{level_name}}】{{user_title}}"
        } else {
            title = "{{notice_title}} ｜ {{user_title}}"
        }
        let content: String
        switch way {
        case "sms":
            content = (zh ? "{{notice_title}}通知，" : "{{notice_title}} notice: ") + "\(tag)[{{level_name}}]{{alert.alert_name}}\n{{user_content}}"
        case "voice":
            let end = state.isEmpty ? "" : (zh ? "已\(signal == "recovered" ? "恢复" : "关闭")" : " \(state.lowercased())")
            content = zh ? "{{notice_title}}通知，当前{{business.bk_biz_name}}业务{{alert.alert_name}}下发生{{level_name}}告警\(end)"
                : "{{notice_title}} notice, the {{level_name}} alarm of {{alert.alert_name}} in business {{business.bk_biz_name}}\(end.isEmpty ? " occurs" : " has" + end)"
        case "wxwork-bot" where state.isEmpty:
            let detail = zh ? "查看详情" : "Detail"
            content = """
                {% if alarm.level == 1 %}
                **`[{{level_name}}]` {{alert.alert_name}}**
                {% else %}
                **[{{level_name}}] {{alert.alert_name}}**
                {% endif %}
                {{user_content}}
                {% if alarm.detail_url %}
                [\(detail)]({{alarm.detail_url}})
                {% endif %}
                """
        case "mail":
            let color = state.isEmpty ? "{{level_color}}" : "#2dcb56"
            let footer = zh ? "此为系统邮件，由{{notice_title}}自动发送，请勿回复" : "Sent by {{notice_title}} automatically, please do not reply"
            let detail = zh ? "查看详情" : "View details"
            content = """
                <table style="width: 900px; font-size: 14px;">
                <tr><td colspan="4"><span style="color: \(color);">\(state.isEmpty ? "" : "【\(state)】")【{{level_name|escape}}】</span>{{user_title|escape}}</td></tr>
                <tr><td colspan="4" style="color: #979BA5">{{alarm.time}}</td></tr>
                {{user_content}}
                {% if alarm.detail_url %}<tr><td colspan="4"><a href="{{alarm.detail_url|escape}}">\(detail)</a></td></tr>{% endif %}
                <tr><td colspan="4" style="color: #979BA5">\(footer)</td></tr>
                </table>
                """
        default:
            content = "\(tag)[{{level_name}}] {{alert.alert_name}}\n{{user_content}}"
        }
        return (title, content)
    }
}
