/// The values the store protocols speak in (docs/architecture.md, "The store seam"): what a
/// pass or a command hands to a store and gets back, whichever database is behind it.

/// Result of storing one draft.
package enum InsertResult: Sendable, Equatable {
    case stored(Int64)
    /// A row with the same `dedupe_key` exists already: its id.
    case duplicate(Int64)
}

/// One claimed row's fencing: its id and the token of the claim.
package struct LeaseHold: Sendable, Equatable {
    package var id: Int64
    package var token: Int64
    package init(id: Int64, token: Int64) {
        self.id = id
        self.token = token
    }
}

/// What the timeout sweep did.
package struct SweepReport: Sendable, Equatable {
    /// Rows that passed their deadline and are now `failure`/`timeout`.
    package var timedOut: [Int64] = []
    package init() {}
}

/// The queue at a glance (`fta-tick status`, metrics).
package struct QueueStatus: Sendable, Equatable {
    package var total = 0
    package var byStatus: [String: Int] = [:]
    package var dueNow = 0
    package var leasedNow = 0
    package var scheduledLater = 0
    /// Seconds the oldest due row has waited, or nil when nothing is due.
    package var oldestDueAge: Int64?
    package init() {}
}

/// What an operator command did to one id.
package enum OperatorResult: Sendable, Equatable {
    case done(Int64)
    case notFound(Int64)
    case refused(Int64, String)
}

/// What storing one event's plan did.
package struct PlanResult: Sendable, Equatable {
    /// Ids of new rows: each action, then its children.
    package var stored: [Int64] = []
    /// Actions already stored by an earlier ingest of the same event.
    package var duplicates: [Int64] = []
    /// Interval repeats of the alert stopped by this event.
    package var stoppedRepeats = 0
    package init() {}
}

/// One event's plan, with the alert it is about.
package struct PlannedEvent: Sendable {
    package var alertId: String
    package var signal: String
    package var plan: CreationStage.Plan
    /// When the alert was last seen abnormal by this event (its `latest_time`, else the ingest
    /// time): a repeat of the alert keeps going only while it is seen (``RepeatLimits``).
    package var seenAt: Int64
    package init(alertId: String, signal: String, plan: CreationStage.Plan, seenAt: Int64) {
        self.alertId = alertId
        self.signal = signal
        self.plan = plan
        self.seenAt = seenAt
    }
}

/// An interval repeat that is due: the alert, relation and the previous round's action.
package struct DueRepeat: Sendable {
    package var alertId: String
    package var relationId: Int64
    package var configId: Int64
    package var signal: String
    package var rounds: Int64
    package var previousActionId: Int64
    /// The previous round's snapshots (JSON text).
    package var alert: String
    package var strategy: String
    package var actionConfig: String
    package var inputs: String
    /// When the alert was last seen abnormal, and when the repeat started.
    package var seenAt: Int64 = 0
    package var startedAt: Int64 = 0

    package init(alertId: String, relationId: Int64, configId: Int64, signal: String, rounds: Int64, previousActionId: Int64,
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
package struct RepeatReport: Sendable, Equatable {
    /// Rounds created: (previous action, first new action id).
    package var created: [(previous: Int64, id: Int64)] = []
    /// Repeats that ended (the relation no longer repeats, or its config is gone).
    package var ended = 0
    package var failed: [String] = []

    package init() {}

    package static func == (a: RepeatReport, b: RepeatReport) -> Bool {
        a.created.map(\.previous) == b.created.map(\.previous) && a.created.map(\.id) == b.created.map(\.id) && a.ended == b.ended && a.failed == b.failed
    }
}

/// A notice the circuit breaker held, for `fta-replay`.
package struct HeldNotice: Sendable {
    package var id: Int64
    package var createTime: Int64
    package var strategyId: Int64
    package var bkBizId: String
    package var parentActionId: Int64
    package var signal: String
    package var status: String
    /// The saved sends (`ex_data.retry_params`): way, receivers, addresses, title, content.
    package var sends: [JSONValue]
    package var dimensions: [String: [String]]
    package var way: String { sends.first?["way"]?.stringValue ?? "" }

    package init(id: Int64, createTime: Int64, strategyId: Int64, bkBizId: String, parentActionId: Int64, signal: String, status: String,
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
package struct HeldFilter: Sendable {
    package var strategies: [Int64] = []
    package var bizIds: [String] = []
    package var ways: [String] = []
    package var ids: [Int64] = []
    package var since: Int64?
    package var until: Int64?
    package var limit: Int?
    package init() {}
}

/// The converge step's outcome for one action, and the instance it was related to.
package struct ConvergeResult: Sendable {
    package var decision: ConvergeDecision
    package var convergeId: Int64?
    package var message: String
    package init(decision: ConvergeDecision, convergeId: Int64?, message: String) {
        self.decision = decision
        self.convergeId = convergeId
        self.message = message
    }
}

/// What becomes of a claimed summary action.
package enum CollectPreparation: Sendable {
    /// Nothing to summarise (or the instance is gone): finished `skipped`.
    case skip(String)
    /// The summary, as a notice row the notice processor sends (signal `collect`).
    case send(ClaimedAction, related: [Int64])
}

/// A document Elasticsearch refused for its content, kept to be sent again after a fix.
package struct DeadLetter: Sendable {
    package var actionId: Int64
    package var changeSeq: Int64
    package var reason: String
    package var createTime: Int64
    package init(actionId: Int64, changeSeq: Int64, reason: String, createTime: Int64) {
        self.actionId = actionId
        self.changeSeq = changeSeq
        self.reason = reason
        self.createTime = createTime
    }
}

/// How far an export target is behind.
package struct SyncLag: Sendable {
    package var checkpoint: SyncPosition
    /// The number of the latest change in feed order (the checkpoint's number once caught up).
    package var latest: Int64
    package var pendingChanges: Int
    /// Seconds since the oldest change not yet exported was made.
    package var pendingSeconds: Int64
    package var deadLetters: Int
    package var exported: Int
    package var lastRun: Int64?
    /// What keeps changes from being exported yet (PostgreSQL: the oldest transaction still
    /// running, which later changes must wait behind), or nil.
    package var heldBy: String?

    package init(checkpoint: SyncPosition, latest: Int64, pendingChanges: Int, pendingSeconds: Int64, deadLetters: Int, exported: Int, lastRun: Int64?) {
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
package struct DutyRuleStatus: Sendable {
    package var group: String
    package var ruleId: Int64
    package var nextPlan: String?
    package var completed: Bool
    package var plans: Int
    package var until: String?

    package init(group: String, ruleId: Int64, nextPlan: String?, completed: Bool, plans: Int, until: String?) {
        self.group = group
        self.ruleId = ruleId
        self.nextPlan = nextPlan
        self.completed = completed
        self.plans = plans
        self.until = until
    }
}

/// A running `fta-tick` pass, as `fta-tick status` shows it.
package struct PassWorker: Sendable, Equatable {
    /// The lease owner name it claims as (`host:pid` unless `--worker-id`).
    package var workerId: String
    package var startedAt: Int64
    package var heartbeatAt: Int64
    /// Whether it waits for work until its runtime ends (`--linger`).
    package var lingering: Bool
    /// When it stops claiming at the latest (start + `--max-runtime`).
    package var endsBy: Int64

    package init(workerId: String, startedAt: Int64, heartbeatAt: Int64, lingering: Bool, endsBy: Int64) {
        self.workerId = workerId
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.lingering = lingering
        self.endsBy = endsBy
    }
}

/// Where fta-sync's change feed stands: the transaction that made a change (`xid`; always 0
/// on SQLite, where one writer at a time numbers changes in commit order) and the change's
/// number. Ordered by transaction, then number: on PostgreSQL a reader takes only changes of
/// transactions that can no longer commit late (below the oldest one still running), so a
/// position once passed is never filled in behind the reader.
package struct SyncPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var xid: Int64
    package var seq: Int64

    package init(xid: Int64 = 0, seq: Int64) {
        self.xid = xid
        self.seq = seq
    }

    package static let start = SyncPosition(seq: 0)

    package static func < (a: SyncPosition, b: SyncPosition) -> Bool { (a.xid, a.seq) < (b.xid, b.seq) }

    /// `42`, or `7781:42` when a transaction id is part of it.
    package var description: String { xid == 0 ? String(seq) : "\(xid):\(seq)" }
}

/// Which finished actions a purge may remove.
package struct PurgePolicy: Sendable, Equatable {
    /// Actions whose last change (`update_time`) is before this are old enough.
    package var before: Int64
    /// Export targets whose checkpoint an action must have passed: the configured one, if any,
    /// and every target that has a checkpoint; a target without a checkpoint keeps everything.
    package var exportTargets: [String]
    /// Actions per transaction.
    package var batch: Int
    package init(before: Int64, exportTargets: [String], batch: Int = 1_000) {
        self.before = before
        self.exportTargets = exportTargets
        self.batch = max(1, batch)
    }
}

/// What a purge removed, and what it kept that was otherwise old enough.
package struct PurgeResult: Sendable, Equatable {
    package var actions = 0
    package var logLines = 0
    package var convergeRelations = 0
    package var convergeInstances = 0
    package var repeats = 0
    /// Old finished actions kept because an export target has not passed them yet.
    package var keptUnexported = 0
    /// True when the limit stopped the purge before every old row was removed.
    package var more = false
    package init() {}
}

/// How big the store is.
package struct StorageStatus: Sendable, Equatable {
    /// Bytes the store takes on disk (SQLite: the file and its WAL), and of that, free pages.
    package var bytes: Int64 = 0
    package var freeBytes: Int64 = 0
    package var actions = 0
    /// `create_time` of the oldest action, nil when there is none.
    package var oldestCreateTime: Int64?
    package init() {}
}
