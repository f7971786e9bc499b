import Foundation
import FTAConfig
import FTACore
import FTATemplates

/// HTTP callback actions (`plugin_type: webhook`, original-system.md §3.2).
///
/// Every string of the config is rendered against the action context; success is any 2xx.
/// Unlike the original, TLS certificates are verified (opt out with `tls_verify: false`),
/// disabled query params are honoured, and each request carries an `Idempotency-Key`.
package struct WebhookProcessor: ActionProcessor {
    package let pluginType = PluginType.webhook
    let settings: TickSettings

    package init(settings: TickSettings) { self.settings = settings }

    static func detail(of config: JSONValue) -> (detail: JSONValue?, failedRetry: JSONValue?) {
        let execute = config["execute_config"]
        return (execute?["template_detail"], execute?["failed_retry"])
    }

    package func validate(actionConfig: JSONValue) throws {
        let (detail, retry) = WebhookProcessor.detail(of: actionConfig)
        _ = try WebhookConfig.parse(detail ?? .null, failedRetryFallback: retry, defaultTimeout: settings.defaultRequestTimeout)
    }

    /// `<es_action_id>-<step>-<execution number>`: the same for a re-run after a crash (nothing
    /// was recorded), new for a deliberate retry.
    package static func idempotencyKey(_ action: ClaimedAction) -> String {
        "fta-\(action.esActionId)-\(action.nextStep)-\(action.executeTimes + 1)"
    }

    /// A webhook step split where it waits for the network: either decided without sending
    /// (bad config, a value that may not be sent), or a request and how to read its answer.
    package enum Prepared {
        case decided(StepResult)
        /// `finish` turns the transport's result and the milliseconds it took into the step's result.
        case send(HTTPRequest, finish: (Result<HTTPResponse, TransportError>, Int) -> StepResult)
    }

    package func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult {
        switch prepare(action, worker: worker) {
        case .decided(let result):
            return result
        case .send(let request, let finish):
            let started = DispatchTime.now().uptimeNanoseconds
            let result = worker.http.perform(request)
            return finish(result, Int((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000))
        }
    }

    /// Parses the config (once per worker), renders the request; the returned `finish` needs
    /// nothing of the worker, so it may run on another thread.
    package func prepare(_ action: ClaimedAction, worker: WorkerContext) -> Prepared {
        let parsed = worker.configs.value(action.text.actionConfig, kind: "webhook") { json in
            let (rawDetail, rawRetry) = WebhookProcessor.detail(of: json)
            return try WebhookConfig.parse(rawDetail ?? .null, failedRetryFallback: rawRetry, defaultTimeout: settings.defaultRequestTimeout)
        }
        let config: WebhookConfig
        switch parsed {
        case .success(let c): config = c
        case .failure(let error):
            return .decided(StepResult(outcome: ActionOutcome(.finished(.failure), message: "webhook config invalid: \(error)")))
        }
        let policy = RetryPolicy(maxRetryTimes: config.maxRetryTimes, retryInterval: config.retryInterval,
                                 retryAfterCap: settings.retryAfterCap, jitter: settings.retryJitter)
        let redactor = Redactor(secrets: config.secrets)

        let request: HTTPRequest
        do {
            request = try buildRequest(config, action: action, renderer: worker.renderer, now: worker.clock.now(), configs: worker.configs)
        } catch {
            let message = redactor.redact("context parameter error: \(error)")
            return .decided(StepResult(outcome: ActionOutcome(.finished(.failure), message: message), policy: policy))
        }
        let clock = worker.clock
        return .send(request) { result, ms in
            WebhookProcessor.interpret(result, request: request, ms: ms, policy: policy, redactor: redactor, clock: clock)
        }
    }

    static func interpret(_ result: Result<HTTPResponse, TransportError>, request: HTTPRequest, ms: Int, policy: RetryPolicy,
                          redactor: Redactor, clock: Clock) -> StepResult {
        func detail(_ end: HTTPDetail.End) -> HTTPDetail { HTTPDetail(method: request.method, url: request.url, end: end) }
        switch result {
        case .success(let response):
            let excerpt = TextLimit.excerpt(response.bodyText)
            let outputs: [String: JSONValue] = ["status_code": .int(Int64(response.status))]
            if (200..<300).contains(response.status) {
                return StepResult(outcome: .success(redactor.redact(excerpt), outputs: outputs), policy: policy, http: detail(.status(response.status, ms: ms)))
            }
            var retryAfter: Double?
            if response.status == 429 || response.status == 503, let header = response.headers["retry-after"] {
                retryAfter = WebhookProcessor.parseRetryAfter(header, now: clock.now())
            }
            var outcome = ActionOutcome.failure(redactor.redact("response not valid, status_code: \(response.status), content: \(excerpt)"), retryAfter: retryAfter)
            outcome.outputs = outputs
            return StepResult(outcome: outcome, policy: policy, http: detail(.status(response.status, ms: ms)))
        case .failure(let error) where error.kind == .refused:
            // Not sent, and sending again would not change that.
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: redactor.redact(error.message)), policy: policy, http: detail(.notSent))
        case .failure(let error):
            let message: String
            switch error.kind {
            case .timeout:
                message = "webhook request timeout(\(JSONWriter.format(request.timeout))s): no response from \(Redactor.safeURL(request.url)) within failed_retry.timeout"
            default:
                message = "webhook request failed, \(error.message)"
            }
            return StepResult(outcome: .failure(redactor.redact(message)), policy: policy, http: detail(.error(ms: ms)))
        }
    }

    /// `Retry-After` as seconds: delta-seconds or an HTTP date.
    static func parseRetryAfter(_ value: String, now: Int64) -> Double? {
        let v = value.trimmingCharacters(in: .whitespaces)
        if let s = Double(v) { return max(0, s) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = f.date(from: v) else { return nil }
        return max(0, date.timeIntervalSince1970 - Double(now))
    }

    func buildRequest(_ config: WebhookConfig, action: ClaimedAction, renderer: TemplateRenderer, now: Int64,
                      configs: ConfigCache? = nil) throws -> HTTPRequest {
        var cachedContext: TemplateRenderer.Context?
        func context() -> TemplateRenderer.Context {
            if let c = cachedContext { return c }
            let c = ActionContext.context(action, configs: configs, original: settings.templateContext, now: now)
            cachedContext = c
            return c
        }
        let prefix = "template_detail"
        func render(_ s: String, _ field: String) throws -> String {
            TemplateRenderer.isTemplate(s) ? try renderer.render(s, field: "\(prefix).\(field)", context: context()) : s
        }
        func renderPairs(_ pairs: [WebhookConfig.Pair], _ field: String) throws -> [WebhookConfig.Pair] {
            try pairs.map { WebhookConfig.Pair(key: try render($0.key, "\(field).\($0.key)"), value: try render($0.value, "\(field).\($0.key)")) }
        }

        var url = try render(config.url, "url").trimmingWhitespace(newlines: false)
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw FieldError("\(prefix).url", "rendered url does not start with http:// or https://")
        }
        // Alert values must never add a header or a second request: refuse, do not clean up.
        if let why = WireCheck.url(url) { throw FieldError("\(prefix).url", "rendered url \(why)") }
        let query = try renderPairs(config.queryParams, "query_params")
        if !query.isEmpty {
            url += (url.contains("?") ? "&" : "?") + query.map { "\(WebhookProcessor.formEncode($0.key))=\(WebhookProcessor.formEncode($0.value))" }.joined(separator: "&")
        }
        var headers: [(String, String)] = []
        for h in config.headers {
            let name = try render(h.key, "headers.\(h.key)"), value = try render(h.value, "headers.\(h.key)")
            if let why = WireCheck.headerName(name) { throw FieldError("\(prefix).headers.\(h.key)", "rendered header name \(why)") }
            if let why = WireCheck.headerValue(value) { throw FieldError("\(prefix).headers.\(h.key)", "rendered header value \(why)") }
            headers.append((name, value))
        }
        func hasHeader(_ name: String) -> Bool { headers.contains { $0.0.lowercased() == name } }

        var body: [UInt8] = []
        switch config.body {
        case .none: break
        case .raw(let content, let type):
            let rendered = try renderer.renderLeaves(content, field: "\(prefix).body.content", context: context())
            if case .string(let s) = rendered { body = Array(s.utf8) } else { body = Array(rendered.jsonText.utf8) }
            if !hasHeader("content-type") { headers.append(("Content-Type", WebhookConfig.contentTypes[type] ?? "text/plain")) }
        case .urlEncoded(let params):
            let p = try renderPairs(params, "body.params")
            body = Array(p.map { "\(WebhookProcessor.formEncode($0.key))=\(WebhookProcessor.formEncode($0.value))" }.joined(separator: "&").utf8)
            if !hasHeader("content-type") { headers.append(("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")) }
        case .formData(let params):
            let p = try renderPairs(params, "body.params")
            // A boundary no value contains, so a value cannot end its part and start another.
            var boundary = ""
            repeat { boundary = "fta-\(action.id)-\(String(UInt64.random(in: 1...UInt64.max), radix: 16))" }
            while p.contains(where: { $0.value.contains(boundary) || $0.key.contains(boundary) })
            var text = ""
            for pair in p {
                // Field names are quoted strings: quotes and line breaks are percent-encoded (as browsers do).
                let name = pair.key.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
                text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(pair.value)\r\n"
            }
            text += "--\(boundary)--\r\n"
            body = Array(text.utf8)
            headers.removeAll { $0.0.lowercased() == "content-type" }
            headers.append(("Content-Type", "multipart/form-data; boundary=\(boundary)"))
        }
        switch config.auth {
        case .none: break
        case .basic(let user, let password):
            let u = try render(user, "authorize.auth_config.username"), p = try render(password, "authorize.auth_config.password")
            headers.append(("Authorization", "Basic " + Data("\(u):\(p)".utf8).base64EncodedString()))
        case .bearer(let token):
            let rendered = try render(token, "authorize.auth_config.token")
            if let why = WireCheck.headerValue(rendered) { throw FieldError("\(prefix).authorize.auth_config.token", "rendered token \(why)") }
            headers.append(("Authorization", "Bearer " + rendered))
        }
        if !hasHeader("idempotency-key") { headers.append(("Idempotency-Key", WebhookProcessor.idempotencyKey(action))) }

        var timeout = config.timeout
        if let deadline = action.deadlineAt { timeout = max(1, min(timeout, Double(deadline) - Double(now))) }
        return HTTPRequest(method: config.method, url: url, headers: headers, body: body, timeout: timeout, verifyTLS: config.verifyTLS)
    }

    static let formAllowed: CharacterSet = {
        var s = CharacterSet.alphanumerics
        s.insert(charactersIn: "-._~")
        return s
    }()

    static func formEncode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: formAllowed) ?? s
    }
}
