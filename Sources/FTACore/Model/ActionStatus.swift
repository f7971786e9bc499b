/// Status of an action instance, with the original system's names (original-system.md §1.2).
package enum ActionStatus: String, CaseIterable, Sendable, Codable {
    case received, waiting, converging, sleep, converged, running
    case success, partialSuccess = "partial_success", failure, partialFailure = "partial_failure"
    case skipped, forNotice = "for_notice", forReference = "for_reference", shield, retrying
    case authorized, unauthorized, checking, blocked

    /// In flight (`PROCEED_STATUS`): the sweep may time these out.
    package static let proceed: Set<ActionStatus> = [.received, .waiting, .converging, .sleep, .converged, .running]

    /// Terminal (`END_STATUS`): never overwritten by the sweep or a late worker.
    package static let end: Set<ActionStatus> = [.success, .partialSuccess, .failure, .partialFailure, .skipped, .shield, .blocked]

    /// Statuses an execution may start from (`CAN_EXECUTE_STATUS`).
    package static let canExecute: Set<ActionStatus> = [.received, .converged, .running, .retrying]

    package var isTerminal: Bool { ActionStatus.end.contains(self) }
}
