import FTACore

/// What one step of an action produced, with the retry policy its config asks for.
package struct StepResult: Sendable {
    package var outcome: ActionOutcome
    package var policy: RetryPolicy
    /// Short description for the outcome log line (method, safe URL, status, duration). An HTTP
    /// step's is written only when read: the line is written at `info`, and a pass at `warning`
    /// never reads it.
    package var detail: String {
        get { http?.text ?? text }
        set {
            text = newValue
            http = nil
        }
    }
    private var text: String
    private var http: HTTPDetail?

    package init(outcome: ActionOutcome, policy: RetryPolicy = .none, detail: String = "") {
        self.outcome = outcome
        self.policy = policy
        text = detail
    }

    package init(outcome: ActionOutcome, policy: RetryPolicy = .none, http: HTTPDetail) {
        self.outcome = outcome
        self.policy = policy
        text = ""
        self.http = http
    }
}

/// The parts of an HTTP step's ``StepResult/detail``: "POST https://host/path -> 200 in 12 ms",
/// the URL without its credentials or query (``Redactor/safeURL(_:)``).
package struct HTTPDetail: Sendable {
    package enum End: Sendable {
        case status(Int, ms: Int)
        case notSent
        case error(ms: Int)
    }

    package var method: String
    package var url: String
    package var end: End

    package init(method: String, url: String, end: End) {
        self.method = method
        self.url = url
        self.end = end
    }

    package var text: String {
        let target = "\(method) \(Redactor.safeURL(url))"
        switch end {
        case .status(let status, let ms): return "\(target) -> \(status) in \(ms) ms"
        case .notSent: return "\(target) -> not sent"
        case .error(let ms): return "\(target) -> error in \(ms) ms"
        }
    }
}
