import FTACore
import FTATemplates

/// The `templates:` section: the default language and overrides per signal and way.
///
/// ```yaml
/// templates:
///   language: zh                       # en (default) or zh
///   abnormal:                          # a signal, or default
///     mail: {title: "[{{ notice.level_name }}] {{ notice.alert_name }}", content: "..."}
///     default: {content: "..."}        # any way
/// ```
/// Templates are checked when the config loads; a syntax error is a config error naming them.
enum TemplateSettings {
    static let signals = ["default", "abnormal", "recovered", "closed", "ack", "no_data", "manual"]

    static func parse(_ value: JSONValue, reader: ConfigReader) throws -> NoticeTemplates {
        guard case .object(let o) = value else { throw FTAError.config("config \(reader.source): templates: expected a mapping") }
        var templates = NoticeTemplates()
        let check = TemplateRenderer()
        for (key, spec) in o {
            if key == "language" {
                templates.language = NoticeTemplates.Language(rawValue: try reader.at("templates").choice(spec, "language", NoticeTemplates.Language.allCases.map(\.rawValue))) ?? .en
                continue
            }
            // What the original's variables need beyond the alert (docs/templates.md).
            if key == "site_url" {
                let url = try reader.at("templates").string(spec, "site_url")
                guard url.hasPrefix("http://") || url.hasPrefix("https://"), WireCheck.url(url) == nil else {
                    throw reader.at("templates").fail("site_url", "expected the original's site address, http(s)://...")
                }
                templates.context.siteURL = url
                continue
            }
            if key == "style" {
                templates.style = NoticeTemplates.Style(rawValue: try reader.at("templates").choice(spec, "style", NoticeTemplates.Style.allCases.map(\.rawValue)))!
                continue
            }
            if key == "notice_title" {
                templates.context.noticeTitle = try reader.at("templates").string(spec, "notice_title")
                continue
            }
            if key == "business_names" {
                guard case .object(let names) = spec else { throw reader.at("templates").fail("business_names", "expected a mapping of business ids to names") }
                for (id, name) in names { templates.context.businessNames[id] = try reader.at("templates").at("business_names").string(name, id) }
                continue
            }
            let r = reader.at("templates")
            guard signals.contains(key) else {
                throw r.fail(key, "not a signal (\(signals.joined(separator: ", "))), language, style, site_url, notice_title or business_names")
            }
            guard case .object(let ways) = spec else { throw r.fail(key, "expected a mapping of notice ways") }
            for (way, pair) in ways {
                let wr = r.at(key).at(way)
                let p = try wr.object(pair, allowed: ["title", "content"])
                var parsed = NoticeTemplates.Pair()
                for (field, text) in p {
                    let source = try wr.string(text, field)
                    do {
                        _ = try check.render(source, field: "\(key).\(way).\(field)", context: [String: Any]())
                    } catch let e as TemplateError {
                        throw wr.fail(field, e.message)
                    }
                    if field == "title" { parsed.title = source } else { parsed.content = source }
                }
                templates.overrides[key, default: [:]][way] = parsed
            }
        }
        return templates
    }
}
