import Foundation

/// An HTTP gateway for `sms`, `voice`, `weixin`, `qy_weixin`, `rtx` (or any other way name),
/// described in config: URL, method, headers, an optional body template, a success rule.
///
/// The body template sees `receivers` (list), `receiver` (the one receiver in per-receiver
/// mode, else the first), `title`, `content` and `way`; without a template the body is
/// `{"receivers": [...], "title": ..., "content": ...}`. Success is a 2xx answer and, when
/// `success_path` is set, the JSON value there equal to `success_value`.
public struct GatewayChannel: NoticeChannel {
    public let way: String
    public var url: String
    public var method: String
    public var headers: [(String, String)]
    public var bodyTemplate: String?
    public var contentType: String
    /// One request per receiver (voice gateways usually call one number per request).
    public var perReceiver: Bool
    public var successPath: String?
    public var successValue: JSONValue?
    public var timeout: Double
    public var verifyTLS: Bool
    public var maxLength: Int?
    /// Voice: one call per identical receiver list per this many seconds (the original: 120).
    public var dedupeWindow: Int64?

    public init(way: String, url: String, method: String = "POST", headers: [(String, String)] = [], bodyTemplate: String? = nil,
                contentType: String = "application/json", perReceiver: Bool = false, successPath: String? = nil,
                successValue: JSONValue? = nil, timeout: Double = 10, verifyTLS: Bool = true, maxLength: Int? = nil) {
        self.way = way
        self.url = url
        self.method = method
        self.headers = headers
        self.bodyTemplate = bodyTemplate
        self.contentType = contentType
        self.perReceiver = perReceiver
        self.successPath = successPath
        self.successValue = successValue
        self.timeout = timeout
        self.verifyTLS = verifyTLS
        self.maxLength = maxLength
        self.dedupeWindow = way == "voice" ? 120 : nil
    }

    /// Header values that look like credentials, kept out of result messages.
    var redactor: Redactor {
        Redactor(secrets: headers.filter { Redactor.isSecretName($0.0) || $0.0.lowercased().contains("key") }
            .flatMap { h in [h.1] + h.1.split(separator: " ").map(String.init) })
    }

    public func send(_ message: NoticeMessage, worker: ChannelWorker) -> [String: NoticeResult] {
        let content = TextLimit.truncate(message.content, to: maxLength)
        let redactor = self.redactor
        let groups = perReceiver ? message.receivers.map { [$0] } : [message.receivers]
        var results: [String: NoticeResult] = [:]
        for (n, group) in groups.enumerated() {
            let key = message.idempotencyKey.map { groups.count > 1 ? "\($0)-\(n + 1)" : $0 }
            var result = call(group, title: message.title, content: content, idempotencyKey: key, worker: worker)
            result.message = redactor.redact(result.message)
            for r in group { results[r] = result }
        }
        return results
    }

    func call(_ receivers: [String], title: String, content: String, idempotencyKey: String? = nil, worker: ChannelWorker) -> NoticeResult {
        let context: JSONValue = [
            "receivers": .array(receivers.map { .string($0) }), "receiver": .string(receivers.first ?? ""),
            "title": .string(title), "content": .string(content), "way": .string(way),
        ]
        let body: String
        let target: String
        do {
            target = try worker.renderer.render(url, field: "channels.\(way).url", context: TemplateRenderer.Context(context))
            if let bodyTemplate {
                body = try worker.renderer.render(bodyTemplate, field: "channels.\(way).body", context: TemplateRenderer.Context(context))
            } else {
                body = JSONValue.object(["receivers": context["receivers"] ?? .emptyArray, "title": .string(title), "content": .string(content)]).jsonText
            }
        } catch {
            return NoticeResult(ok: false, message: "\(error)")
        }
        if let why = WireCheck.url(target) {
            return NoticeResult(ok: false, message: "\(way) gateway: rendered channels.\(way).url \(why); not sent")
        }
        var allHeaders = headers
        if !allHeaders.contains(where: { $0.0.lowercased() == "content-type" }) { allHeaders.append(("Content-Type", contentType)) }
        if let idempotencyKey, !allHeaders.contains(where: { $0.0.lowercased() == "idempotency-key" }) {
            allHeaders.append(("Idempotency-Key", idempotencyKey))
        }
        let request = HTTPRequest(method: method, url: target, headers: allHeaders, body: Array(body.utf8), timeout: timeout, verifyTLS: verifyTLS)
        switch worker.http.perform(request) {
        case .failure(let e):
            return NoticeResult(ok: false, message: "\(way) gateway \(Redactor.safeURL(target)): \(e.message)")
        case .success(let response):
            let excerpt = TextLimit.excerpt(response.bodyText)
            guard (200..<300).contains(response.status) else {
                return NoticeResult(ok: false, message: "\(way) gateway answered \(response.status): \(excerpt)")
            }
            if let path = successPath {
                let got = (try? JSONParser.parse(response.bodyText))?.value(at: path)
                guard let got, GatewayChannel.matches(got, successValue ?? .bool(true)) else {
                    return NoticeResult(ok: false, message: "\(way) gateway refused the send (\(path) = \(got?.jsonText ?? "missing")): \(excerpt)")
                }
            }
            return NoticeResult(ok: true, message: excerpt)
        }
    }

    /// Numbers compare by value and strings by text, so `0` matches `"0"`.
    static func matches(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if a == b { return true }
        if let x = a.scalarText, let y = b.scalarText { return x == y }
        return false
    }
}
