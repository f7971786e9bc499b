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
