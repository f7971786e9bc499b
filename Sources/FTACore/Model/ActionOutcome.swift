/// What a processor reports after running one step of an action. Processors never write to
/// the database; the pass turns an outcome into a row update (``OutcomeResolver``).
package struct ActionOutcome: Sendable {
    package enum Result: Sendable, Equatable {
        /// The action reached a terminal status.
        case finished(ActionStatus)
        /// The step failed; the retry policy decides between another attempt and `failure`.
        /// `retryAfter` is a server's `Retry-After` hint in seconds.
        case failed(FailureType?, retryAfter: Double?)
        /// Run `step` again (or the next step) after `after` seconds, e.g. a status poll.
        case next(step: String, after: Double)
    }

    package var result: Result
    /// Becomes `ex_data.message`.
    package var message: String
    /// Merged into `outputs`.
    package var outputs: [String: JSONValue]
    /// Merged into `ex_data`.
    package var exData: [String: JSONValue]
    /// For `.failed`: the step a retry runs (a remote action's poll or start step); nil runs
    /// the action again from the start.
    package var retryStep: String?
    /// For `.next`: the status meanwhile (default `running`; `waiting` while an approval is open).
    package var nextStatus: ActionStatus?
    /// For `.next`: a new deadline this many seconds from now.
    package var deadlineAfter: Int64?

    package init(_ result: Result, message: String, outputs: [String: JSONValue] = [:], exData: [String: JSONValue] = [:], retryStep: String? = nil) {
        self.result = result
        self.message = message
        self.outputs = outputs
        self.exData = exData
        self.retryStep = retryStep
    }

    package static func success(_ message: String, outputs: [String: JSONValue] = [:]) -> ActionOutcome {
        ActionOutcome(.finished(.success), message: message, outputs: outputs)
    }

    package static func failure(_ message: String, type: FailureType? = .executeError, retryAfter: Double? = nil) -> ActionOutcome {
        ActionOutcome(.failed(type, retryAfter: retryAfter), message: message)
    }
}
