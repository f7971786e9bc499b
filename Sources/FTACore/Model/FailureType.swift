/// Why an action failed (original-system.md §1.3).
package enum FailureType: String, CaseIterable, Sendable, Codable {
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
