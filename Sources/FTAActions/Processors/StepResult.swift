import FTACore

/// What one step of an action produced, with the retry policy its config asks for.
package struct StepResult: Sendable {
    package var outcome: ActionOutcome
    package var policy: RetryPolicy
    /// Short description for the outcome log line (method, safe URL, status, duration).
    package var detail: String

    package init(outcome: ActionOutcome, policy: RetryPolicy = .none, detail: String = "") {
        self.outcome = outcome
        self.policy = policy
        self.detail = detail
    }
}
