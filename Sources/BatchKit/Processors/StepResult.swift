/// What one step of an action produced, with the retry policy its config asks for.
public struct StepResult: Sendable {
    public var outcome: ActionOutcome
    public var policy: RetryPolicy
    /// Short description for the outcome log line (method, safe URL, status, duration).
    public var detail: String

    public init(outcome: ActionOutcome, policy: RetryPolicy = .none, detail: String = "") {
        self.outcome = outcome
        self.policy = policy
        self.detail = detail
    }
}
