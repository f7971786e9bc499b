import FTACore

/// The settings of an HTTP gateway for `sms`, `voice`, `weixin`, `qy_weixin`, `rtx` (or any
/// other way name), as configured: URL, method, headers, an optional body template, a success rule.
///
/// The body template sees `receivers` (list), `receiver` (the one receiver in per-receiver
/// mode, else the first), `title`, `content` and `way`; without a template the body is
/// `{"receivers": [...], "title": ..., "content": ...}`. Success is a 2xx answer and, when
/// `success_path` is set, the JSON value there equal to `success_value`.
package struct GatewaySettings: Sendable {
    package let way: String
    package var url: String
    package var method: String
    package var headers: [(String, String)]
    package var bodyTemplate: String?
    package var contentType: String
    /// One request per receiver (voice gateways usually call one number per request).
    package var perReceiver: Bool
    package var successPath: String?
    package var successValue: JSONValue?
    package var timeout: Double
    package var verifyTLS: Bool
    package var maxLength: Int?
    /// Voice: one call per identical receiver list per this many seconds (the original: 120).
    package var dedupeWindow: Int64?

    package init(way: String, url: String, method: String = "POST", headers: [(String, String)] = [], bodyTemplate: String? = nil,
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
}
