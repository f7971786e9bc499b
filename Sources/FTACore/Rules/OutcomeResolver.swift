/// Pure rules turning a processor's outcome into the row update (original-system.md §2.5).
package enum OutcomeResolver {
    /// A notice parent's status from its children's (original-system.md §5.2, written to the database
    /// here, where the original only did it in ES): children still running or converged away
    /// (`running, sleep, skipped, shield`) are ignored, and so are children the circuit breaker
    /// holds (`blocked` is not a failure; a failed replay is); all succeeded keeps `success`, all
    /// failed is `failure`, a mix is `partial_failure`. `nil`: leave the parent as it is.
    package static func parentStatus(children: [ActionStatus]) -> ActionStatus? {
        let counted = children.filter { ![.running, .sleep, .skipped, .shield, .blocked].contains($0) }
        guard !counted.isEmpty, counted.allSatisfy(\.isTerminal) else { return nil }
        let ok = counted.filter { $0 == .success || $0 == .partialSuccess }.count
        if ok == counted.count { return .success }
        return ok == 0 ? .failure : .partialFailure
    }

    /// `now` stamps the record (end time, log line); due times are counted from `instant` (the
    /// same moment with its fraction; `now` when not given), so a retry after 2 s is due 2 s after
    /// the failure, not up to a second early or late.
    package static func resolve(action: ClaimedAction, outcome: ActionOutcome, policy: RetryPolicy, now: Int64, instant: Double? = nil, random: Double) -> ActionUpdate {
        let start = instant ?? Double(now)
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

        func update(_ status: ActionStatus, failureType: String?, due: Double?, next: String, kind: ActionUpdate.Kind, level: Int, text: String) -> ActionUpdate {
            ActionUpdate(id: action.id, leaseToken: action.leaseToken, parentActionId: action.parentActionId,
                         isParentAction: action.isParentAction, status: status, failureType: failureType,
                         exData: .object(exData), outputs: .object(outputs), endTime: due == nil ? now : nil,
                         dueAt: due, nextStep: next, executeTimes: executeTimes,
                         log: [ActionLogLine(time: now, actionId: action.id, step: step, level: level, message: text)],
                         kind: kind)
        }

        switch outcome.result {
        case .finished(let status):
            let level = status == .success ? 20 : (status == .failure ? 40 : 20)
            let failureType: String? = status == .failure ? FailureType.executeError.rawValue : status == .blocked ? FailureType.blocked.rawValue : nil
            return update(status, failureType: failureType, due: nil,
                          next: step, kind: status == .success ? .succeeded : (status == .failure ? .failed : .finished),
                          level: level, text: "round \(executeTimes) finished: \(status.rawValue): \(outcome.message)")
        case .failed(let type, let retryAfter):
            // A retry of a later step (a remote task's poll) counts its own attempts, in
            // `outputs.retry_times_<step>`; a retry from the start counts executions.
            let retryStep = outcome.retryStep.flatMap { $0 == "execute" ? nil : $0 }
            let stepKey = retryStep.map { "retry_times_\($0)" }
            let before = stepKey.map { Int(outputs[$0]?.intValue ?? 0) } ?? executionsBefore
            if let delay = policy.delayBeforeRetry(executionsBefore: before, failureType: type, retryAfter: retryAfter, random: random) {
                let due = InputLimits.instant(after: start, delay)
                if let stepKey { outputs[stepKey] = .int(Int64(before + 1)) }
                return update(.running, failureType: nil, due: due, next: retryStep ?? "execute", kind: .retried, level: 30,
                              text: "attempt \(before + 1) failed: \(outcome.message); retrying \(retryStep.map { "\($0) " } ?? "")in \(InputLimits.seconds(delay)) s")
            }
            return update(.failure, failureType: (type ?? .executeError).rawValue, due: nil, next: step, kind: .failed, level: 40,
                          text: "round \(executeTimes) finished: failure: \(outcome.message)")
        case .next(let next, let after):
            var u = update(outcome.nextStatus ?? .running, failureType: nil, due: InputLimits.instant(after: start, after), next: next, kind: .continued, level: 20,
                          text: "\(outcome.message); \(next) in \(InputLimits.seconds(after)) s")
            if let d = outcome.deadlineAfter { u.deadlineAt = InputLimits.add(now, d) }
            return u
        }
    }
}
