/// The row update a pass writes for one finished step: status, schedule and bookkeeping.
package struct ActionUpdate: Sendable {
    package var id: Int64
    package var leaseToken: Int64
    /// A notice parent's status is aggregated from its children when either is recorded.
    package var parentActionId: Int64 = 0
    package var isParentAction = false
    package var status: ActionStatus
    package var failureType: String?
    package var exData: JSONValue { didSet { encodedTexts = nil } }
    package var outputs: JSONValue { didSet { encodedTexts = nil } }
    /// Set for terminal statuses.
    package var endTime: Int64?
    /// Next run, in epoch seconds with their fraction; `nil` for terminal statuses.
    package var dueAt: Double?
    package var nextStep: String
    /// A new deadline (an approved action gets its own timeout from the approval on).
    package var deadlineAt: Int64?
    /// Actions a summary notice covered: their `real_status` becomes this update's status.
    package var realStatusFor: [Int64] = []
    package var executeTimes: Int64
    package var log: [ActionLogLine]
    package var kind: Kind
    /// New rows to store with this update (execution notices), only if the update is applied.
    package var spawn: [ActionDraft] = []
    /// An execution notice's result, appended to its source action's
    /// `outputs.execute_notify_result` when this update is applied.
    package var notifyResult: ExecutionNotice.NotifyResult?
    /// The row's stored `outputs.execute_notify_result` is kept over `outputs` (a notice may
    /// have added to it while this step ran).
    package var keepNotifyResult = false
    /// `exData` and `outputs` as JSON text, encoded ahead by the thread that resolved the update
    /// (``encodeTexts()``) so that the recording thread does not; changing either clears it.
    package var encodedTexts: (exData: String, outputs: String)?

    package mutating func encodeTexts() { encodedTexts = (exData.jsonText, outputs.jsonText) }
    package var exDataText: String { encodedTexts?.exData ?? exData.jsonText }
    package var outputsText: String { encodedTexts?.outputs ?? outputs.jsonText }

    package enum Kind: String, Sendable { case succeeded, failed, retried, continued, finished }
}
