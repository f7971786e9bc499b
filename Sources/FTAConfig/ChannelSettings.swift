import FTACore
import FTATemplates

/// The `channels:` section: how each notice way is sent.
///
/// ```yaml
/// channels:
///   mail: {host: smtp.example.com, port: 587, security: starttls, username: fta,
///          password: "${SMTP_PASSWORD}", from: fta@example.com}
///   sms: {url: "https://sms.example.com/send", headers: {Authorization: "Bearer ${SMS_TOKEN}"},
///         body: '{"phones": {{ receivers|tojson }}, "text": {{ content|tojson }}}',
///         success_path: code, success_value: 0}
///   voice: {url: "https://voice.example.com/call", per_receiver: true}
///   wxwork-bot: {url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={{ chat_id }}"}
/// ```
/// `mail` and `wxwork-bot` have their own kinds; every other name is an HTTP gateway.
package enum ChannelSettings {
    /// One way's settings, by kind.
    package enum Way: Sendable {
        case mail(MailSettings)
        case bot(BotSettings)
        case gateway(GatewaySettings)
    }

    static let gatewayKeys = ["url", "method", "headers", "body", "content_type", "per_receiver", "success_path",
                              "success_value", "timeout", "verify_tls", "max_length", "dedupe_window"]

    static func parse(_ value: JSONValue, reader: ConfigReader) throws -> [String: Way] {
        try parseWithCaps(value, reader: reader).channels
    }

    /// Channels, and the per-recipient caps (`recipient_cap: {max: 10, window: 3600}`) any
    /// channel may carry.
    static func parseWithCaps(_ value: JSONValue, reader: ConfigReader) throws -> (channels: [String: Way], caps: [String: RecipientCap]) {
        guard case .object(let ways) = value else { throw FTAError.config("config \(reader.source): channels: expected a mapping of notice ways") }
        var channels: [String: Way] = [:]
        var caps: [String: RecipientCap] = [:]
        for (way, rawSpec) in ways {
            let r = reader.at(way)
            var spec = rawSpec
            if case .object(var o) = rawSpec, let capValue = o.removeValue(forKey: "recipient_cap") {
                spec = .object(o)
                let c = try r.at("recipient_cap").object(capValue, allowed: ["max", "window"])
                guard let max = c["max"] else { throw r.fail("recipient_cap.max", "missing (notices per receiver per window)") }
                caps[way] = RecipientCap(max: Int(try r.number(max, "recipient_cap.max", min: 1, max: 1_000_000)),
                                         window: Int64(try r.number(c["window"] ?? .int(3600), "recipient_cap.window", min: 1, max: 7 * 86400)))
            }
            switch way {
            case "mail": channels[way] = .mail(try mail(spec, r))
            case "wxwork-bot": channels[way] = .bot(try bot(spec, r))
            default:
                guard way.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 }) else {
                    throw FTAError.config("config \(reader.source): channels.\(way): a way name is lower-case letters, digits, _ and -")
                }
                channels[way] = .gateway(try gateway(way, spec, r))
            }
        }
        return (channels, caps)
    }

    static func mail(_ spec: JSONValue, _ r: ConfigReader) throws -> MailSettings {
        let o = try r.object(spec, allowed: ["host", "port", "security", "username", "password", "from", "html", "timeout", "verify_tls", "max_length"])
        guard let host = o["host"] else { throw r.fail("host", "missing") }
        guard let from = o["from"] else { throw r.fail("from", "missing (the sender address)") }
        if let why = WireCheck.mailAddress(try r.string(from, "from")) { throw r.fail("from", why) }
        if let why = WireCheck.url("smtp://" + (try r.string(host, "host"))) { throw r.fail("host", why) }
        let security = SMTPSettings.Security(rawValue: try r.choice(o["security"] ?? "starttls", "security", SMTPSettings.Security.allCases.map(\.rawValue))) ?? .starttls
        let port = Int(try r.number(o["port"] ?? .int(security == .tls ? 465 : 587), "port", min: 1, max: 65535))
        var smtp = SMTPSettings(host: try r.string(host, "host"), port: port, security: security)
        if let u = o["username"] { smtp.username = try r.string(u, "username") }
        if let p = o["password"] { smtp.password = try r.string(p, "password") }
        if let t = o["timeout"] { smtp.timeout = try r.number(t, "timeout", min: 1, max: 600) }
        if let v = o["verify_tls"] { smtp.verifyTLS = try r.bool(v, "verify_tls") }
        return MailSettings(smtp: smtp, from: try r.string(from, "from"), html: try o["html"].map { try r.bool($0, "html") } ?? true,
                           maxLength: try o["max_length"].map { Int(try r.number($0, "max_length", min: 1, max: 10_000_000)) })
    }

    static func bot(_ spec: JSONValue, _ r: ConfigReader) throws -> BotSettings {
        let o = try r.object(spec, allowed: ["url", "timeout", "verify_tls", "max_length"])
        var c = BotSettings()
        if let u = o["url"] { c.url = try r.string(u, "url") }
        if let t = o["timeout"] { c.timeout = try r.number(t, "timeout", min: 0.1, max: 600) }
        if let v = o["verify_tls"] { c.verifyTLS = try r.bool(v, "verify_tls") }
        if let m = o["max_length"] { c.maxLength = Int(try r.number(m, "max_length", min: 1, max: 1_000_000)) }
        return c
    }

    static func gateway(_ way: String, _ spec: JSONValue, _ r: ConfigReader) throws -> GatewaySettings {
        let o = try r.object(spec, allowed: gatewayKeys)
        guard let urlValue = o["url"] else { throw r.fail("url", "missing (the gateway's address)") }
        let url = try r.string(urlValue, "url")
        guard url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://") else {
            throw r.fail("url", "must start with http:// or https://")
        }
        if !TemplateRenderer.isTemplate(url), let why = WireCheck.url(url) { throw r.fail("url", why) }
        var c = GatewaySettings(way: way, url: url)
        if let m = o["method"] { c.method = try r.choice(m, "method", ["get", "post", "put", "patch"]).uppercased() }
        if let h = o["headers"] {
            guard case .object(let headers) = h else { throw r.fail("headers", "expected a mapping of header names to values") }
            c.headers = try headers.keys.sorted().map { name in
                let value = try r.string(headers[name] ?? .null, "headers.\(name)")
                if let why = WireCheck.headerName(name) { throw r.fail("headers.\(name)", "header name \(why)") }
                if let why = WireCheck.headerValue(value) { throw r.fail("headers.\(name)", "header value \(why)") }
                return (name, value)
            }
        }
        if let b = o["body"] { c.bodyTemplate = try r.string(b, "body") }
        if let t = o["content_type"] { c.contentType = try r.string(t, "content_type") }
        if let p = o["per_receiver"] { c.perReceiver = try r.bool(p, "per_receiver") }
        if let p = o["success_path"] { c.successPath = try r.string(p, "success_path") }
        if let v = o["success_value"] { c.successValue = v }
        if let t = o["timeout"] { c.timeout = try r.number(t, "timeout", min: 0.1, max: 600) }
        if let v = o["verify_tls"] { c.verifyTLS = try r.bool(v, "verify_tls") }
        if let d = o["dedupe_window"] { c.dedupeWindow = Int64(try r.number(d, "dedupe_window", min: 0, max: 86400)) }
        if let m = o["max_length"] {
            c.maxLength = Int(try r.number(m, "max_length", min: 1, max: 10_000_000))
        } else if way == "sms" {
            c.maxLength = 140
        }
        return c
    }
}
