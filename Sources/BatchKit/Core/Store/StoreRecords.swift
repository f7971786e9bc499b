/// The values the store protocols speak in (docs/architecture.md, "The store seam"): what a
/// pass or a command hands to a store and gets back, whichever database is behind it.

/// Result of storing one draft.
public enum InsertResult: Sendable, Equatable {
    case stored(Int64)
    /// A row with the same `dedupe_key` exists already: its id.
    case duplicate(Int64)
}

/// One claimed row's fencing: its id and the token of the claim.
public struct LeaseHold: Sendable, Equatable {
    public var id: Int64
    public var token: Int64
    public init(id: Int64, token: Int64) {
        self.id = id
        self.token = token
    }
}

/// What the timeout sweep did.
public struct SweepReport: Sendable, Equatable {
    /// Rows that passed their deadline and are now `failure`/`timeout`.
    public var timedOut: [Int64] = []
    public init() {}
}

/// The queue at a glance (`fta-tick status`, metrics).
public struct QueueStatus: Sendable, Equatable {
    public var total = 0
    public var byStatus: [String: Int] = [:]
    public var dueNow = 0
    public var leasedNow = 0
    public var scheduledLater = 0
    /// Seconds the oldest due row has waited, or nil when nothing is due.
    public var oldestDueAge: Int64?
    public init() {}
}

/// What an operator command did to one id.
public enum OperatorResult: Sendable, Equatable {
    case done(Int64)
    case notFound(Int64)
    case refused(Int64, String)
}

/// What storing one event's plan did.
public struct PlanResult: Sendable, Equatable {
    /// Ids of new rows: each action, then its children.
    public var stored: [Int64] = []
    /// Actions already stored by an earlier ingest of the same event.
    public var duplicates: [Int64] = []
    /// Interval repeats of the alert stopped by this event.
    public var stoppedRepeats = 0
    public init() {}
}

/// One event's plan, with the alert it is about.
public struct PlannedEvent: Sendable {
    public var alertId: String
    public var signal: String
    public var plan: CreationStage.Plan
    public init(alertId: String, signal: String, plan: CreationStage.Plan) {
        self.alertId = alertId
        self.signal = signal
        self.plan = plan
    }
}

/// An interval repeat that is due: the alert, relation and the previous round's action.
public struct DueRepeat: Sendable {
    public var alertId: String
    public var relationId: Int64
    public var configId: Int64
    public var signal: String
    public var rounds: Int64
    public var previousActionId: Int64
    /// The previous round's snapshots (JSON text).
    public var alert: String
    public var strategy: String
    public var actionConfig: String
    public var inputs: String

    public init(alertId: String, relationId: Int64, configId: Int64, signal: String, rounds: Int64, previousActionId: Int64,
                alert: String, strategy: String, actionConfig: String, inputs: String) {
        self.alertId = alertId
        self.relationId = relationId
        self.configId = configId
        self.signal = signal
        self.rounds = rounds
        self.previousActionId = previousActionId
        self.alert = alert
        self.strategy = strategy
        self.actionConfig = actionConfig
        self.inputs = inputs
    }
}

/// What creating due interval rounds did.
public struct RepeatReport: Sendable, Equatable {
    /// Rounds created: (previous action, first new action id).
    public var created: [(previous: Int64, id: Int64)] = []
    /// Repeats that ended (the relation no longer repeats, or its config is gone).
    public var ended = 0
    public var failed: [String] = []

    public init() {}

    public static func == (a: RepeatReport, b: RepeatReport) -> Bool {
        a.created.map(\.previous) == b.created.map(\.previous) && a.created.map(\.id) == b.created.map(\.id) && a.ended == b.ended && a.failed == b.failed
    }
}

/// A notice the circuit breaker held, for `fta-replay`.
public struct HeldNotice: Sendable {
    public var id: Int64
    public var createTime: Int64
    public var strategyId: Int64
    public var bkBizId: String
    public var parentActionId: Int64
    public var signal: String
    public var status: String
    /// The saved sends (`ex_data.retry_params`): way, receivers, addresses, title, content.
    public var sends: [JSONValue]
    public var dimensions: [String: [String]]
    public var way: String { sends.first?["way"]?.stringValue ?? "" }

    public init(id: Int64, createTime: Int64, strategyId: Int64, bkBizId: String, parentActionId: Int64, signal: String, status: String,
                sends: [JSONValue], dimensions: [String: [String]]) {
        self.id = id
        self.createTime = createTime
        self.strategyId = strategyId
        self.bkBizId = bkBizId
        self.parentActionId = parentActionId
        self.signal = signal
        self.status = status
        self.sends = sends
        self.dimensions = dimensions
    }
}

/// Which held notices a replay selects.
public struct HeldFilter: Sendable {
    public var strategies: [Int64] = []
    public var bizIds: [String] = []
    public var ways: [String] = []
    public var ids: [Int64] = []
    public var since: Int64?
    public var until: Int64?
    public var limit: Int?
    public init() {}
}

/// The converge step's outcome for one action, and the instance it was related to.
public struct ConvergeResult: Sendable {
    public var decision: ConvergeDecision
    public var convergeId: Int64?
    public var message: String
    public init(decision: ConvergeDecision, convergeId: Int64?, message: String) {
        self.decision = decision
        self.convergeId = convergeId
        self.message = message
    }
}

/// What becomes of a claimed summary action.
public enum CollectPreparation: Sendable {
    /// Nothing to summarise (or the instance is gone): finished `skipped`.
    case skip(String)
    /// The summary, as a notice row the notice processor sends (signal `collect`).
    case send(ClaimedAction, related: [Int64])
}

/// A document Elasticsearch refused for its content, kept to be sent again after a fix.
public struct DeadLetter: Sendable {
    public var actionId: Int64
    public var changeSeq: Int64
    public var reason: String
    public var createTime: Int64
    public init(actionId: Int64, changeSeq: Int64, reason: String, createTime: Int64) {
        self.actionId = actionId
        self.changeSeq = changeSeq
        self.reason = reason
        self.createTime = createTime
    }
}

/// How far an export target is behind.
public struct SyncLag: Sendable {
    public var checkpoint: Int64
    public var latest: Int64
    public var pendingChanges: Int
    /// Seconds since the oldest change not yet exported was made.
    public var pendingSeconds: Int64
    public var deadLetters: Int
    public var exported: Int
    public var lastRun: Int64?

    public init(checkpoint: Int64, latest: Int64, pendingChanges: Int, pendingSeconds: Int64, deadLetters: Int, exported: Int, lastRun: Int64?) {
        self.checkpoint = checkpoint
        self.latest = latest
        self.pendingChanges = pendingChanges
        self.pendingSeconds = pendingSeconds
        self.deadLetters = deadLetters
        self.exported = exported
        self.lastRun = lastRun
    }
}

/// Per group and rule: the snapshot's next batch, whether it is complete, effective plans and
/// the last planned time.
public struct DutyRuleStatus: Sendable {
    public var group: String
    public var ruleId: Int64
    public var nextPlan: String?
    public var completed: Bool
    public var plans: Int
    public var until: String?

    public init(group: String, ruleId: Int64, nextPlan: String?, completed: Bool, plans: Int, until: String?) {
        self.group = group
        self.ruleId = ruleId
        self.nextPlan = nextPlan
        self.completed = completed
        self.plans = plans
        self.until = until
    }
}
