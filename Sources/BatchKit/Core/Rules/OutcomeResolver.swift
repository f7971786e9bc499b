/// The row update a pass writes for one finished step: status, schedule and bookkeeping.
public struct ActionUpdate: Sendable {
    public var id: Int64
    public var leaseToken: Int64
    public var status: ActionStatus
    public var failureType: String?
    public var exData: JSONValue
    public var outputs: JSONValue
    /// Set for terminal statuses.
    public var endTime: Int64?
    /// Next run; `nil` for terminal statuses.
    public var dueAt: Int64?
    public var nextStep: String
    public var executeTimes: Int64
    public var log: [ActionLogLine]
    public var kind: Kind

    public enum Kind: String, Sendable { case succeeded, failed, retried, continued, finished }
}

/// A line of `action_log`.
public struct ActionLogLine: Sendable, Equatable {
    public var time: Int64
    public var actionId: Int64
    public var step: String
    /// Python logging levels, as the original's `action_instance_log.level`: 20 info, 30 warning, 40 error.
    public var level: Int
    public var message: String

    public init(time: Int64, actionId: Int64, step: String, level: Int, message: String) {
        self.time = time
        self.actionId = actionId
        self.step = step
        self.level = level
        self.message = message
    }
}

/// Pure rules turning a processor's outcome into the row update (reference §2.5).
public enum OutcomeResolver {
    public static func resolve(action: ClaimedAction, outcome: ActionOutcome, policy: RetryPolicy, now: Int64, random: Double) -> ActionUpdate {
        var outputs = action.json(\.outputs).objectValue ?? [:]
        let executionsBefore = Int(outputs["retry_times"]?.intValue ?? 0)
        let countsAsExecution = action.nextStep == "execute"
        if countsAsExecution { outputs["retry_times"] = .int(Int64(executionsBefore + 1)) }
        for (k, v) in outcome.outputs { outputs[k] = v }
        var exData = action.json(\.exData).objectValue ?? [:]
        for (k, v) in outcome.exData { exData[k] = v }
        exData["message"] = .string(outcome.message)
        let executeTimes = action.executeTimes + (countsAsExecution ? 1 : 0)
        let step = action.nextStep

        func update(_ status: ActionStatus, failureType: String?, due: Int64?, next: String, kind: ActionUpdate.Kind, level: Int, text: String) -> ActionUpdate {
            ActionUpdate(id: action.id, leaseToken: action.leaseToken, status: status, failureType: failureType,
                         exData: .object(exData), outputs: .object(outputs), endTime: due == nil ? now : nil,
                         dueAt: due, nextStep: next, executeTimes: executeTimes,
                         log: [ActionLogLine(time: now, actionId: action.id, step: step, level: level, message: text)],
                         kind: kind)
        }

        switch outcome.result {
        case .finished(let status):
            let level = status == .success ? 20 : (status == .failure ? 40 : 20)
            return update(status, failureType: status == .failure ? FailureType.executeError.rawValue : nil, due: nil,
                          next: step, kind: status == .success ? .succeeded : (status == .failure ? .failed : .finished),
                          level: level, text: "round \(executeTimes) finished: \(status.rawValue): \(outcome.message)")
        case .failed(let type, let retryAfter):
            if let delay = policy.delayBeforeRetry(executionsBefore: executionsBefore, failureType: type, retryAfter: retryAfter, random: random) {
                let due = now + Int64(delay.rounded(.up))
                return update(.running, failureType: nil, due: due, next: "execute", kind: .retried, level: 30,
                              text: "attempt \(executionsBefore + 1) failed: \(outcome.message); retrying in \(Int64(delay.rounded(.up))) s")
            }
            return update(.failure, failureType: (type ?? .executeError).rawValue, due: nil, next: step, kind: .failed, level: 40,
                          text: "round \(executeTimes) finished: failure: \(outcome.message)")
        case .next(let next, let after):
            return update(.running, failureType: nil, due: now + Int64(after.rounded(.up)), next: next, kind: .continued, level: 20,
                          text: "\(step) done: \(outcome.message); \(next) in \(Int64(after.rounded(.up))) s")
        }
    }
}
