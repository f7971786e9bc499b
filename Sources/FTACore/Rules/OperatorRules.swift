/// What an operator's `retry` and `skip` do to a stored action (the manual retry runs a
/// finished action again from its first step). Both stores apply these rules.
package enum OperatorRules {
    /// Why a row cannot be retried, or nil. `live`: it still has a due time.
    package static func retryRefusal(status: String, live: Bool, includeSuccess: Bool) -> String? {
        if live { return "still in progress (status \(status))" }
        if status == ActionStatus.success.rawValue && !includeSuccess { return "already succeeded (use --include-success to run it again)" }
        return nil
    }

    /// The retried row's timeout: its original deadline span, at least a minute.
    package static func retryTimeout(deadline: Int64?, created: Int64) -> Int64 { max(60, (deadline ?? 0) - created) }

    /// The retried row's outputs: a fresh retry budget.
    package static func retryOutputs(_ text: String) -> String {
        var outputs = (try? JSONParser.parse(text))?.objectValue ?? [:]
        outputs["retry_times"] = .int(0)
        return JSONValue.object(outputs).jsonText
    }

    package static func retryLog(status: String) -> String { "manual retry from status \(status)" }

    /// Why a row cannot be skipped, or nil.
    package static func skipRefusal(status: String, live: Bool) -> String? {
        live ? nil : "already finished (status \(status))"
    }

    package static func skipMessage(reason: String) -> String { "skipped by operator: \(reason)" }

    /// The skipped row's `ex_data`: its message says who skipped it and why.
    package static func skipExData(_ text: String, reason: String) -> String {
        ((try? JSONParser.parse(text)) ?? .emptyObject).setting("message", .string(skipMessage(reason: reason))).jsonText
    }
}
