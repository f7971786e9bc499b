/// Status of an action instance, with the original system's names (reference §1.2).
public enum ActionStatus: String, CaseIterable, Sendable, Codable {
    case received, waiting, converging, sleep, converged, running
    case success, partialSuccess = "partial_success", failure, partialFailure = "partial_failure"
    case skipped, forNotice = "for_notice", forReference = "for_reference", shield, retrying
    case authorized, unauthorized, checking, blocked

    /// In flight (`PROCEED_STATUS`): the sweep may time these out.
    public static let proceed: Set<ActionStatus> = [.received, .waiting, .converging, .sleep, .converged, .running]

    /// Terminal (`END_STATUS`): never overwritten by the sweep or a late worker.
    public static let end: Set<ActionStatus> = [.success, .partialSuccess, .failure, .partialFailure, .skipped, .shield, .blocked]

    /// Statuses an execution may start from (`CAN_EXECUTE_STATUS`).
    public static let canExecute: Set<ActionStatus> = [.received, .converged, .running, .retrying]

    public var isTerminal: Bool { ActionStatus.end.contains(self) }
}

/// Why an action failed (reference §1.3).
public enum FailureType: String, CaseIterable, Sendable, Codable {
    case frameworkCode = "framework_code_failure"
    case unknown
    case timeout
    case executeError = "execute_failure"
    case createError = "create_failure"
    case callbackError = "callback_failure"
    case userAbort = "user_abort"
    case systemAbort = "system_abort"
    case blocked
}

/// What triggered an action (reference §1.4).
public enum ActionSignal: String, CaseIterable, Sendable, Codable {
    case manual, abnormal, recovered, closed, ack, noData = "no_data", collect, execute
    case executeSuccess = "execute_success", executeFailed = "execute_failed", demo, unshielded, upgrade, incident
}

/// Kind of action; selects the processor (reference §1.5).
public enum PluginType: String, CaseIterable, Sendable, Codable {
    case notice, webhook, job, sops, itsm, common, collect
    case messageQueue = "message_queue"
    case authorize
    case bkIncident = "bk_incident"
}
