import FTACore

/// What one step of an action produced, with the retry policy its config asks for.
package struct StepResult: Sendable {
    package var outcome: ActionOutcome
    package var policy: RetryPolicy
    private let describe: Detail

    /// What the outcome log line says of the step: a text, or an HTTP step's parts, written
    /// only when the line is (it is written at `info`; a pass at `warning` never reads it).
    private enum Detail: Sendable {
        case text(String)
        case http(HTTPDetail)
    }

    package init(outcome: ActionOutcome, policy: RetryPolicy = .none, detail: String = "") {
        self.outcome = outcome
        self.policy = policy
        describe = .text(detail)
    }

    init(outcome: ActionOutcome, policy: RetryPolicy = .none, http: HTTPDetail) {
        self.outcome = outcome
        self.policy = policy
        describe = .http(http)
    }

    /// Short description for the outcome log line (method, safe URL, status, duration).
    package var detail: String {
        switch describe {
        case .text(let text): return text
        case .http(let http): return http.text
        }
    }
}

/// The parts of an HTTP step's ``StepResult/detail``: "POST https://host/path -> 200 in 12 ms",
/// the URL without its credentials or query (``Redactor/safeURL(_:)``).
struct HTTPDetail: Sendable {
    enum End: Sendable {
        case status(Int, ms: Int)
        case notSent
        case error(ms: Int)
    }

    let method: String
    let url: String
    let end: End

    var text: String {
        let target = "\(method) \(Redactor.safeURL(url))"
        switch end {
        case .status(let status, let ms): return "\(target) -> \(status) in \(ms) ms"
        case .notSent: return "\(target) -> not sent"
        case .error(let ms): return "\(target) -> error in \(ms) ms"
        }
    }
}
