/// What triggered an action (original-system.md §1.4).
package enum ActionSignal: String, CaseIterable, Sendable, Codable {
    case manual, abnormal, recovered, closed, ack, noData = "no_data", collect, execute
    case executeSuccess = "execute_success", executeFailed = "execute_failed", demo, unshielded, upgrade, incident
}
