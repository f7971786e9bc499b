import Foundation
import FTACore
import FTATemplates

/// A webhook package's `template_detail` (original-system.md §3.2), checked field by field.
package struct WebhookConfig: Sendable, Equatable {
    package struct Pair: Sendable, Equatable {
        package var key: String
        package var value: String
    }

    package enum Body: Sendable, Equatable {
        case none
        /// `raw`: `content` is sent as is (rendered), or re-encoded when it was JSON.
        case raw(content: JSONValue, contentType: String)
        case formData([Pair])
        case urlEncoded([Pair])
    }

    package enum Auth: Sendable, Equatable {
        case none
        case basic(username: String, password: String)
        case bearer(token: String)
    }

    package var method: String
    package var url: String
    package var headers: [Pair]
    package var queryParams: [Pair]
    package var body: Body
    package var auth: Auth
    package var timeout: Double
    package var maxRetryTimes: Int
    package var retryInterval: Double
    package var verifyTLS: Bool

    package static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    /// `template_detail` keys: the original's webhook fields, its interval (poll) fields, and
    /// fta's `tls_verify`. Anything else is a typo and refuses the line.
    static let detailKeys = Set(["method", "url", "headers", "authorize", "body", "query_params", "failed_retry", "tls_verify"])
        .union(PollSettings.keys)
    static let bodyKeys: Set<String> = ["data_type", "params", "content", "content_type"]
    static let authorizeKeys: Set<String> = ["auth_type", "auth_config"]
    static let authConfigKeys: Set<String> = ["username", "password", "token"]
    static let retryKeys: Set<String> = ["is_enabled", "timeout", "max_retry_times", "retry_interval"]
    static let pairKeys: Set<String> = ["key", "value", "desc", "is_builtin", "is_enabled"]
    package static let contentTypes: [String: String] = [
        "json": "application/json", "text": "text/plain", "html": "text/html", "xml": "application/xml",
        "javascript": "application/javascript",
    ]

    /// Parses `template_detail`; `failedRetryFallback` is `execute_config.failed_retry`.
    /// Field names in errors are prefixed by `prefix`.
    package static func parse(_ detail: JSONValue, failedRetryFallback: JSONValue?, defaultTimeout: Double,
                             prefix: String = "action_config.execute_config.template_detail") throws -> WebhookConfig {
        func f(_ name: String) -> String { "\(prefix).\(name)" }
        guard case .object(let o) = detail else { throw FieldError(prefix, "missing (a webhook needs template_detail with a url)") }
        try KnownKeys.check(detail, allowed: detailKeys, field: prefix)
        try PollSettings.validate(detail, field: prefix)

        let method = (o["method"]?.stringValue ?? "GET").uppercased()
        guard methods.contains(method) else { throw FieldError(f("method"), "'\(method)' is not one of \(methods.sorted().joined(separator: ", "))") }
        guard let urlValue = o["url"], !urlValue.isNull else { throw FieldError(f("url"), "missing") }
        guard let url = urlValue.stringValue, !url.trimmingCharacters(in: .whitespaces).isEmpty else { throw FieldError(f("url"), "must be a non-empty string") }
        if !TemplateRenderer.isTemplate(url) {
            let lower = url.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { throw FieldError(f("url"), "must start with http:// or https://") }
            if let why = WireCheck.url(url) { throw FieldError(f("url"), why) }
        }

        let headers = try pairs(o["headers"], field: f("headers"))
        for h in headers {
            // Static names and values are checked now; rendered ones when the request is built.
            if !TemplateRenderer.isTemplate(h.key), let why = WireCheck.headerName(h.key) { throw FieldError(f("headers.\(h.key)"), "header name \(why)") }
            if !TemplateRenderer.isTemplate(h.value), let why = WireCheck.headerValue(h.value) { throw FieldError(f("headers.\(h.key)"), "header value \(why)") }
        }
        let query = try pairs(o["query_params"], field: f("query_params"))

        var body = Body.none
        if let b = o["body"], !b.isNull {
            guard case .object(let bo) = b else { throw FieldError(f("body"), "expected an object") }
            try KnownKeys.check(b, allowed: bodyKeys, field: f("body"))
            let kind = bo["data_type"]?.stringValue ?? "default"
            switch kind {
            case "default", "":
                body = .none
            case "raw":
                let contentType = bo["content_type"]?.stringValue ?? "text"
                guard contentTypes[contentType] != nil else {
                    throw FieldError(f("body.content_type"), "'\(contentType)' is not one of \(contentTypes.keys.sorted().joined(separator: ", "))")
                }
                var content = bo["content"] ?? .string("")
                if case .string(let s) = content {
                    // As the original: JSON content is parsed so that each leaf renders on its own.
                    if let parsed = try? JSONParser.parse(s), parsed.objectValue != nil || parsed.arrayValue != nil { content = parsed }
                } else if content.isNull {
                    content = .string("")
                }
                body = .raw(content: content, contentType: contentType)
            case "form_data":
                body = .formData(try pairs(bo["params"], field: f("body.params")))
            case "x_www_form_urlencoded":
                body = .urlEncoded(try pairs(bo["params"], field: f("body.params")))
            default:
                throw FieldError(f("body.data_type"), "'\(kind)' is not one of default, raw, form_data, x_www_form_urlencoded")
            }
        }

        var auth = Auth.none
        if let a = o["authorize"], !a.isNull {
            guard case .object(let ao) = a else { throw FieldError(f("authorize"), "expected an object") }
            try KnownKeys.check(a, allowed: authorizeKeys, field: f("authorize"))
            try KnownKeys.check(ao["auth_config"], allowed: authConfigKeys, field: f("authorize.auth_config"))
            let type = ao["auth_type"]?.stringValue ?? "none"
            let cfg = ao["auth_config"]?.objectValue ?? [:]
            switch type {
            case "none": auth = .none
            case "basic_auth":
                guard let user = cfg["username"]?.scalarText else { throw FieldError(f("authorize.auth_config.username"), "missing for basic_auth") }
                auth = .basic(username: user, password: cfg["password"]?.scalarText ?? "")
            case "bearer_token":
                guard let token = cfg["token"]?.scalarText, !token.isEmpty else { throw FieldError(f("authorize.auth_config.token"), "missing for bearer_token") }
                if !TemplateRenderer.isTemplate(token), let why = WireCheck.headerValue(token) { throw FieldError(f("authorize.auth_config.token"), why) }
                auth = .bearer(token: token)
            case "tencent_auth":
                throw FieldError(f("authorize.auth_type"), "tencent_auth is not supported (the original accepted it and sent no credentials)")
            default:
                throw FieldError(f("authorize.auth_type"), "'\(type)' is not one of none, basic_auth, bearer_token")
            }
        }

        let retry = o["failed_retry"] ?? failedRetryFallback ?? .null
        var timeout = defaultTimeout
        var maxRetry = -1
        var interval = 0.0
        if case .object(let r) = retry {
            try KnownKeys.check(retry, allowed: retryKeys, field: o["failed_retry"] != nil ? f("failed_retry") : "action_config.execute_config.failed_retry")
            let enabled = r["is_enabled"]?.boolValue ?? true
            if let t = r["timeout"], !t.isNull {
                guard let v = t.doubleValue, v > 0, v <= 604_800 else { throw FieldError(f("failed_retry.timeout"), "expected seconds in 1...604800") }
                timeout = v
            }
            if let m = r["max_retry_times"], !m.isNull {
                guard let v = m.intValue, v >= -1, v <= 1000 else { throw FieldError(f("failed_retry.max_retry_times"), "expected an integer in 0...1000") }
                maxRetry = Int(v)
            }
            if let i = r["retry_interval"], !i.isNull {
                guard let v = i.doubleValue, InputLimits.retryInterval.contains(v) else { throw FieldError(f("failed_retry.retry_interval"), "expected seconds in 0...86400") }
                interval = v
            }
            if !enabled { maxRetry = -1 }
        } else if !retry.isNull {
            throw FieldError(f("failed_retry"), "expected an object")
        }

        var verify = true
        if let v = o["tls_verify"], !v.isNull {
            guard let b = v.boolValue else { throw FieldError(f("tls_verify"), "expected true or false") }
            verify = b
        }
        return WebhookConfig(method: method, url: url, headers: headers, queryParams: query, body: body, auth: auth,
                             timeout: timeout, maxRetryTimes: maxRetry, retryInterval: interval, verifyTLS: verify)
    }

    /// `[{key, value, is_enabled}]` (disabled entries dropped) or a plain `{key: value}` object.
    static func pairs(_ value: JSONValue?, field: String) throws -> [Pair] {
        guard let value, !value.isNull else { return [] }
        switch value {
        case .object(let o):
            return try o.keys.sorted().map { k in
                guard let v = o[k]?.scalarText else { throw FieldError("\(field).\(k)", "expected a text value") }
                return Pair(key: k, value: v)
            }
        case .array(let items):
            var out: [Pair] = []
            for (i, item) in items.enumerated() {
                guard case .object(let o) = item else { throw FieldError("\(field)[\(i)]", "expected {key, value}") }
                try KnownKeys.check(item, allowed: pairKeys, field: "\(field)[\(i)]")
                if o["is_enabled"]?.boolValue == false { continue }
                guard let k = o["key"]?.scalarText, !k.isEmpty else { throw FieldError("\(field)[\(i)].key", "missing") }
                let v: String
                switch o["value"] {
                case .none, .some(.null): v = ""
                case .some(let x):
                    if let s = x.scalarText { v = s } else { v = x.jsonText }
                }
                out.append(Pair(key: k, value: v))
            }
            return out
        default:
            throw FieldError(field, "expected a list of {key, value}")
        }
    }

    /// Every credential in this config, for redaction.
    package var secrets: [String] {
        switch auth {
        case .none: return []
        case .basic(let u, let p):
            return [p, Data("\(u):\(p)".utf8).base64EncodedString()]
        case .bearer(let t): return [t]
        }
    }
}
