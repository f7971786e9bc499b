import FTACore

/// The circuit breaker's execution stage, as a step result the pass records.
extension BreakerMatcher {
    /// The outcome of an action held at the execution stage (original-system.md §4.5), or nil to run it.
    /// Notices are checked at send time instead; message-queue actions at creation.
    package func executionHold(_ action: ClaimedAction) -> StepResult? {
        guard !isEmpty, !["notice", "collect", "message_queue"].contains(action.pluginType),
              let rules = match(BreakerMatcher.dimensions(of: action)) else { return nil }
        let ids = rules.map { String($0.id) }.joined(separator: ",")
        return StepResult(outcome: ActionOutcome(.finished(.blocked), message: "package execution circuit-broken by breaker rule \(ids)",
                                                 exData: ["circuit_breaking": true, "breaker_rule": .int(rules[0].id)]),
                          detail: "held by breaker rule \(ids)")
    }
}
