/// A line of `action_log`.
package struct ActionLogLine: Sendable, Equatable {
    package var time: Int64
    package var actionId: Int64
    package var step: String
    /// Python logging levels, as the original's `action_instance_log.level`: 20 info, 30 warning, 40 error.
    package var level: Int
    package var message: String

    package init(time: Int64, actionId: Int64, step: String, level: Int, message: String) {
        self.time = time
        self.actionId = actionId
        self.step = step
        self.level = level
        self.message = message
    }
}
