/// Execution notifications (original-system.md §2.5 `notify`): when a non-notice action starts,
/// succeeds or fails, the strategy's notice groups are told, if the strategy's notice relation
/// lists the step's signal (`execute`, `execute_success`, `execute_failed`). The notices are
/// ordinary notice rows (no parent) created with the action's outcome, so they merge, retry
/// and de-duplicate like any other notice.
package enum ExecutionNotice {
    package enum Step: String, Sendable, CaseIterable {
        case begin = "execute", success = "execute_success", failure = "execute_failed"

        /// The original's `NotifyStep` number: the key of `outputs.execute_notify_result`.
        package var code: String {
            switch self {
            case .failure: return "1"
            case .success: return "2"
            case .begin: return "3"
            }
        }
    }

    /// What one execution notice row did, for its source action's
    /// `outputs.execute_notify_result` (`{step: {way: [results]}}`, as the original keeps it).
    package struct NotifyResult: Sendable, Equatable {
        package var sourceId: Int64
        package var step: String
        package var way: String
        package var entry: JSONValue
    }

    /// The result an execution notice's update leaves on its source action: nil for any other
    /// row, and until the notice is finished (a retried send reports once, at the end).
    package static func result(of notice: ClaimedAction, update: ActionUpdate, now: Int64) -> NotifyResult? {
        guard notice.pluginType == "notice", update.endTime != nil, let step = Step(rawValue: notice.signal),
              notice.text.inputs.containsBytes("source_action") else { return nil }
        let inputs = notice.json(\.inputs)
        guard inputs["notice_type"]?.stringValue == "action_notice", let source = inputs["source_action"]?["id"]?.intValue else { return nil }
        let message = update.exData["message"]?.stringValue ?? update.outputs["message"]?.stringValue ?? ""
        let entry: JSONValue = [
            "receiver": inputs["notice_receiver"] ?? .null, "result": .bool(update.status == .success),
            "status": .string(update.status.rawValue), "message": .string(message), "action_id": .int(notice.id), "time": .int(now),
        ]
        return NotifyResult(sourceId: source, step: step.code, way: inputs["notice_way"]?.stringValue ?? "", entry: entry)
    }

    /// `outputs` (a JSON text) with `result` appended to `execute_notify_result[step][way]`.
    package static func merge(outputs: String, _ result: NotifyResult) -> String {
        var o = (try? JSONParser.parse(outputs))?.objectValue ?? [:]
        var all = o["execute_notify_result"]?.objectValue ?? [:]
        var step = all[result.step]?.objectValue ?? [:]
        var list = step[result.way]?.arrayValue ?? []
        list.append(result.entry)
        step[result.way] = .array(list)
        all[result.step] = .object(step)
        o["execute_notify_result"] = .object(all)
        return JSONValue.object(o).jsonText
    }

    /// Whether the action's strategy asks for any execution notice: its stored
    /// `execute_notify_result` must then survive its own later updates.
    package static func isReported(_ action: ClaimedAction) -> Bool {
        guard action.text.strategy.containsBytes("execute"), let (_, signals) = relation(of: action) else { return false }
        return Step.allCases.contains { signals.contains($0.rawValue) }
    }

    /// The strategy's notice relation and its signals, for an action whose outcomes may be
    /// reported (not a notice, a message-queue push or a summary).
    static func relation(of action: ClaimedAction) -> (notice: JSONValue, signals: Set<String>)? {
        guard !["notice", "message_queue", "collect"].contains(action.pluginType) else { return nil }
        // Only the notice relation is read out of the strategy snapshot (it can be large).
        guard let notice = JSONParser.member(of: action.text.strategy, "notice"), notice.objectValue != nil else { return nil }
        return (notice, Set((notice["signal"]?.arrayValue ?? []).compactMap(\.stringValue)))
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
        guard let (notice, signals) = relation(of: action) else { return [] }
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
