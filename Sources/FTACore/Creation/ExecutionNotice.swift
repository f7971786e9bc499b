/// Execution notifications (original-system.md §2.5 `notify`): when a non-notice action starts,
/// succeeds or fails, the strategy's notice groups are told, if the strategy's notice relation
/// lists the step's signal (`execute`, `execute_success`, `execute_failed`). The notices are
/// ordinary notice rows (no parent) created with the action's outcome, so they merge, retry
/// and de-duplicate like any other notice.
package enum ExecutionNotice {
    package enum Step: String, Sendable, CaseIterable {
        case begin = "execute", success = "execute_success", failure = "execute_failed"
    }

    /// Which outcomes of an action its strategy's notice groups hear of (`tick.execute_notice`).
    package enum Mode: String, Sendable, CaseIterable {
        /// The start and the final result (the original's default): a failed attempt that is
        /// retried says nothing.
        case beginAndFinal = "begin_and_final"
        /// The start, every failed attempt (saying a retry follows) and the final result.
        case everyAttempt = "every_attempt"
        /// Only a failure that will not be retried.
        case finalFailureOnly = "final_failure_only"
    }

    /// The steps an outcome reports in `mode`.
    package static func steps(action: ClaimedAction, update: ActionUpdate, mode: Mode) -> [Step] {
        var steps: [Step] = []
        if mode != .finalFailureOnly, action.nextStep == "execute", action.executeTimes == 0 { steps.append(.begin) }
        switch update.kind {
        case .succeeded: if mode != .finalFailureOnly { steps.append(.success) }
        case .failed: steps.append(.failure)
        case .retried: if mode == .everyAttempt { steps.append(.failure) }
        case .continued, .finished: break
        }
        return steps
    }

    /// The notice rows for `update` of `action`: one per step, way and receiver.
    package static func drafts(action: ClaimedAction, update: ActionUpdate, directory: UserDirectory, mode: Mode) -> [ActionDraft] {
        guard !["notice", "message_queue", "collect"].contains(action.pluginType) else { return [] }
        // Only the notice relation is read out of the strategy snapshot (it can be large).
        guard let notice = JSONParser.member(of: action.text.strategy, "notice"), notice.objectValue != nil else { return [] }
        let signals = Set((notice["signal"]?.arrayValue ?? []).compactMap(\.stringValue))
        let steps = steps(action: action, update: update, mode: mode).filter { signals.contains($0.rawValue) }
        guard !steps.isEmpty else { return [] }
        let groups = (notice["user_groups"]?.arrayValue ?? []).compactMap(\.scalarText)
        let receivers = directory.resolve(groups: groups, level: Int(action.alertLevel))
        let config = action.json(\.actionConfig)
        var drafts: [ActionDraft] = []
        for step in steps {
            let source: JSONValue = [
                "id": .int(action.id), "name": config["name"] ?? .string("action \(action.id)"), "plugin_type": .string(action.pluginType),
                "status": .string(step == .begin ? "running" : update.kind == .retried ? "retrying" : update.status.rawValue),
                "message": step == .begin ? .string("") : (update.exData["message"] ?? .string("")),
                "execute_times": .int(update.executeTimes),
            ]
            func add(_ way: String, _ receiver: JSONValue, _ label: String) {
                var d = ActionDraft(signal: step.rawValue, pluginType: "notice")
                d.strategyId = action.strategyId
                d.strategyRelationId = notice["id"]?.intValue ?? 0
                d.alertLevel = action.alertLevel
                d.bkBizId = action.bkBizId
                d.generateUUID = action.generateUUID
                d.strategy = action.text.strategy
                d.dimensions = action.text.dimensions
                d.alerts = action.text.alerts
                d.alert = action.text.alert
                d.inputs = JSONValue.object([
                    "notice_way": .string(way), "notice_receiver": receiver, "followed": false,
                    "notice_type": "action_notice", "source_action": source,
                ]).jsonText
                d.dedupeKey = "exec-notice|\(action.id)|\(step.rawValue)|\(update.executeTimes)|\(way)|\(label)"
                drafts.append(d)
            }
            for way in receivers.notify.keys.sorted() {
                for r in receivers.notify[way]! { add(way, .string(r), r) }
            }
            for list in receivers.voice { add("voice", .array(list.map { .string($0) }), list.joined(separator: ",")) }
        }
        return drafts
    }
}
