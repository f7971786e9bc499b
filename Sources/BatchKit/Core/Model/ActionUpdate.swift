/// The row update a pass writes for one finished step: status, schedule and bookkeeping.
public struct ActionUpdate: Sendable {
    public var id: Int64
    public var leaseToken: Int64
    /// A notice parent's status is aggregated from its children when either is recorded.
    public var parentActionId: Int64 = 0
    public var isParentAction = false
    public var status: ActionStatus
    public var failureType: String?
    public var exData: JSONValue
    public var outputs: JSONValue
    /// Set for terminal statuses.
    public var endTime: Int64?
    /// Next run; `nil` for terminal statuses.
    public var dueAt: Int64?
    public var nextStep: String
    /// A new deadline (an approved action gets its own timeout from the approval on).
    public var deadlineAt: Int64?
    /// Actions a summary notice covered: their `real_status` becomes this update's status.
    public var realStatusFor: [Int64] = []
    public var executeTimes: Int64
    public var log: [ActionLogLine]
    public var kind: Kind
    /// New rows to store with this update (execution notices), only if the update is applied.
    public var spawn: [ActionDraft] = []

    public enum Kind: String, Sendable { case succeeded, failed, retried, continued, finished }
}
