/// The store seam (docs/architecture.md, "The store seam"): every read and write a pass or a
/// command makes, in the core's own types. The passes see only these protocols; the SQLite
/// store implements them today, and a second backend implements the same set. Nothing here
/// names a table, a statement or a connection.
///
/// Rules every implementation keeps:
/// - each method is one transaction (or, where it says so, one per batch);
/// - writes for a claimed row are fenced by its lease token: a write whose claim was taken
///   over or finished changes nothing and the row is reported lost;
/// - times are epoch seconds; `now` is the command's clock (`--now` in tests), which a backend
///   with a clock of its own may use for lease expiry instead.

/// The tick pass's queue: sweep, claim with a lease, record fenced outcomes, renew, release, and
/// the work a pass does before it claims (interval rounds, digests) and around a claimed batch
/// (convergence, summaries, the notice gate).
package protocol QueueStore: AnyObject, Sendable {
    /// Sets the store up for a pass's bookkeeping (e.g. lighter durability for claims).
    func preparePass() throws
    /// Fails live rows past their deadline (never a terminal row) and forgets expired gate keys.
    func sweep(now: Int64) throws -> SweepReport
    /// Claims up to `limit` due rows for `owner` until `now + lease`, bumping their fencing token.
    /// `now` keeps its fraction: due times may fall within a second.
    func claimDue(limit: Int, now: Double, lease: Int64, owner: String) throws -> [ClaimedAction]
    /// Writes outcomes (with their log lines, execution notices and parent aggregation); returns
    /// the ids whose lease was lost, which changed nothing.
    func record(_ updates: [ActionUpdate], now: Int64) throws -> [Int64]
    /// Gives back claimed rows that were never started, with their old due time.
    func release(_ actions: [ClaimedAction]) throws
    /// Extends leases still held; returns the ids whose lease was lost.
    func renew(_ held: [LeaseHold], until: Double) throws -> [Int64]
    /// Creates the next round of every interval repeat due at `now` (up to `limit`); `build`
    /// turns a due repeat into the round's plan (nil: the repeat ends).
    func createDueRepeats(now: Int64, limit: Int, build: (DueRepeat) throws -> CreationStage.Plan?) throws -> RepeatReport
    /// Turns digests whose window has ended into notice rows; returns the new ids.
    func createDueDigests(now: Int64, limit: Int) throws -> [Int64]
    /// The converge step for claimed actions that carry a converge config (one transaction).
    func converge(_ actions: [ClaimedAction], now: Int64, notices: NoticeConvergence) throws -> [Int64: ConvergeResult]
    /// Prepares claimed summary actions: gathers what they cover and ends their instances.
    func prepareCollect(_ actions: [ClaimedAction], now: Int64) throws -> [Int64: CollectPreparation]
    /// Admits the gate keys of notices about to be sent (voice de-dupe, per-recipient caps), in
    /// one transaction that first checks each notice's lease: a notice whose claim was lost
    /// admits nothing and uses up no quota.
    func admit(_ requests: [GateRequest], now: Int64) throws -> [GateDecision]
    /// The breaker rules in force at `now`.
    func breakerMatcher(now: Int64) throws -> BreakerMatcher

    // What a lingering pass waits on.

    /// The earliest moment something comes due: a live row's due time (a retry, a poll, a
    /// sleeper, a lease that runs out; at or before `now` when a row is due already), or after
    /// `now` a deadline, an interval round or a digest; nil when nothing is scheduled. A
    /// lingering pass sleeps until then.
    func nextDue(after now: Double) throws -> Double?
    /// A number that changes whenever another process commits to the database (new rows, a
    /// retry by hand, a breaker rule): a lingering pass polls it to wake for work it did not
    /// schedule itself. Cheap enough to ask every few tens of milliseconds.
    func changeMark() throws -> Int64
    /// Registers a running pass, or refreshes its heartbeat (`fta-tick status` lists the passes
    /// whose heartbeat is recent).
    func heartbeat(_ worker: PassWorker) throws
    /// Removes a pass that has ended.
    func endPass(workerId: String) throws
}

/// Putting actions in: enqueue's bulk insert and ingest's planned events.
package protocol IntakeStore: AnyObject, Sendable {
    /// A bulk insert for one enqueue run: batches are inserted in order, each in one
    /// transaction; `finish` ends the session (flushing whatever the backend keeps aside).
    func beginBulkInsert() throws -> any BulkInsert
    /// Stores drafts in one transaction.
    func insert(_ drafts: [ActionDraft], now: Int64) throws -> [InsertResult]
    /// Stores the plans of several events in one transaction: each action before its children,
    /// repeats started or stopped; an event ingested twice creates nothing new.
    func store(_ events: [PlannedEvent], now: Int64) throws -> [PlanResult]
}

/// One enqueue run's inserts (``IntakeStore/beginBulkInsert()``).
package protocol BulkInsert: AnyObject {
    /// Inserts one batch in one transaction; one result per row, in order.
    func insert(_ rows: PackedActions, now: Int64) throws -> [InsertResult]
    func finish()
}

/// What operators read and change: `status`, `show`, `retry`, `skip`.
package protocol OperatorStore: AnyObject, Sendable {
    /// Passes whose heartbeat is at most `staleAfter` seconds old at `now`.
    func runningPasses(now: Int64, staleAfter: Int64) throws -> [PassWorker]
    /// Counts by status (over the whole table unless `includeHistory` is false) and the live queue.
    func queueStatus(now: Int64, includeHistory: Bool) throws -> QueueStatus
    /// One row as JSON (every column) and its log lines, or nil when there is no such id.
    func action(id: Int64) throws -> (row: JSONValue, log: [ActionLogLine])?
    /// Runs finished rows again from their first step; successful ones only with `includeSuccess`.
    func retry(ids: [Int64], now: Int64, includeSuccess: Bool) throws -> [OperatorResult]
    /// Finishes live rows as `skipped` with the reason, fencing any worker holding them.
    func skip(ids: [Int64], reason: String, now: Int64) throws -> [OperatorResult]
    /// Active interval repeats and the next due time.
    func repeatSummary() throws -> (active: Int, nextAt: Int64?)
    /// An action's converge instance and its related actions, or nil.
    func convergeView(actionId: Int64) throws -> JSONValue?
    /// Converge instances still open.
    func openConvergeInstances() throws -> Int
}

/// Circuit-breaker rules.
package protocol BreakerStore: AnyObject, Sendable {
    /// Stores rules in order (their order is their folding order); returns their ids.
    func addBreakerRules(_ rules: [BreakerRule], now: Int64) throws -> [Int64]
    /// Rules in folding order; expired ones only with `includeExpired`.
    func breakerRules(now: Int64, includeExpired: Bool) throws -> [BreakerRule]
    /// Removes rules by id; returns the ids that existed.
    func removeBreakerRules(_ ids: [Int64]) throws -> [Int64]
    /// Removes every rule; returns how many.
    func clearBreakerRules() throws -> Int
}

/// Users and user groups kept in the database.
package protocol DirectoryStore: AnyObject, Sendable {
    func loadDirectory() throws -> UserDirectory
    /// Inserts or replaces the users and groups of `directory`; with `replace`, the others go.
    func saveDirectory(_ directory: UserDirectory, replace: Bool, now: Int64) throws -> (users: Int, groups: Int, removed: Int)
}

/// Duty rules and plans (fta-rota, and notices to duty groups).
package protocol DutyStore: AnyObject, Sendable {
    /// Stores rules (insert or replace by id) in one transaction.
    func saveDutyRules(_ rules: [DutyRule], now: Int64) throws
    func dutyRules() throws -> [Int64: DutyRule]
    func dutyRuleIds() throws -> Set<Int64>
    /// Plans of a group overlapping `[from, to]` (wall-clock), effective ones unless `includeCancelled`.
    func dutyPlans(group: String, from: WallTime, to: WallTime, includeCancelled: Bool) throws -> [DutyPlan]
    /// Per group and rule: snapshot state and plans.
    func dutyStatus() throws -> [DutyRuleStatus]
    /// Runs one rota pass in one write transaction: overlapping passes run one after the other.
    func planDuty<T>(_ body: (any DutyPlanningSession) throws -> T) throws -> T
}

/// The reads and writes of one `fta-rota` pass, inside its transaction.
package protocol DutyPlanningSession {
    /// Stored rules by id: hash, enabled and the JSON text.
    func ruleRows() throws -> [Int64: (hash: String, enabled: Bool, text: String)]
    /// Drops snapshots and cancels plans of groups not in `ids`; returns plans cancelled.
    func dropGroups(except ids: [String]) throws -> Int
    /// The rules each group has effective plans of.
    func plannedRules() throws -> [String: Set<Int64>]
    /// A group's enabled snapshots by rule.
    func snapshots(group: String) throws -> [Int64: [DutySnapshot]]
    /// Cancels a rule's plans starting at or after `start` and cuts those running past it; returns (cancelled, cut).
    func cancelAndCut(group: String, rule: Int64, at start: String) throws -> (Int, Int)
    func deleteSnapshot(id: Int64) throws
    func endSnapshot(id: Int64, at end: String) throws
    /// No snapshot and no effective plan of `rule` for `group`; returns plans cancelled.
    func dropRule(group: String, rule: Int64) throws -> Int
    /// Inserts a new snapshot (id 0) or updates a stored one's state.
    func saveSnapshot(_ snap: DutySnapshot, group: String) throws
    /// Inserts plan rows; returns how many.
    func insertPlans(_ rows: [DutyPlanRow], group: String, rule: Int64, created: Int64) throws -> Int
}

/// fta-sync's change feed, checkpoints and dead letters.
package protocol SyncStore: AnyObject, Sendable {
    /// Rows changed after `position`, in feed order, whose changes can no longer be preceded
    /// by a later commit (only those updated since a time, if given).
    func changes(after position: SyncPosition, limit: Int, updatedSince: Int64?) throws -> [ExportRow]
    /// The current state of rows by id.
    func exportRows(ids: [Int64]) throws -> [ExportRow]
    /// A target's checkpoint (``SyncPosition/start`` when none).
    func syncCheckpoint(_ target: String) throws -> SyncPosition
    /// Moves a target's checkpoint forward (never back) and counts what was exported.
    func advanceSync(_ target: String, to position: SyncPosition, exported: Int, now: Int64) throws
    func addDeadLetters(_ target: String, _ letters: [DeadLetter]) throws
    func deadLetters(_ target: String) throws -> [DeadLetter]
    func removeDeadLetters(_ target: String, ids: [Int64]) throws
    /// How far a target is behind.
    func syncLag(_ target: String, now: Int64) throws -> SyncLag
    /// Changes when another process commits (see ``QueueStore/changeMark()``): a lingering
    /// export waits on it for new changes.
    func changeMark() throws -> Int64
}

/// Held notices for `fta-replay`.
package protocol ReplayStore: AnyObject, Sendable {
    /// Held notices with saved sends not yet replayed successfully, oldest first.
    func heldNotices(_ filter: HeldFilter) throws -> [HeldNotice]
    /// Takes a held row for sending; false when another replay has it or it was replayed.
    func claimHeld(_ id: Int64, owner: String, now: Int64, lease: Int64) throws -> Bool
    /// Records a replay: `success`, or `failure` that stays replayable.
    func markReplayed(_ id: Int64, owner: String, ok: Bool, message: String, now: Int64) throws
}

/// Everything a backend provides.
/// Housekeeping: old finished actions and their records removed, space given back, and how big
/// the store is (`fta-tick purge`, the pass's bounded purge, `status`).
package protocol HousekeepingStore: AnyObject, Sendable {
    /// Removes up to `limit` finished actions last changed before `policy.before`, in batches
    /// of `policy.batch` (one transaction each), with their log lines, converge relations and
    /// de-dupe records; never a live row, a row an interval repeat still copies from, or a row
    /// an export target has not passed (``PurgePolicy/exportTargets``).
    func purge(_ policy: PurgePolicy, limit: Int) throws -> PurgeResult
    /// Gives free space back to the file system where the store can (SQLite: incremental
    /// vacuum, converting the file once if it was made without it); returns bytes given back.
    func reclaimSpace(convert: Bool) throws -> Int64
    /// The store's size and its oldest action.
    func storageStatus() throws -> StorageStatus
}

package typealias FTAStore = QueueStore & IntakeStore & OperatorStore & BreakerStore & DirectoryStore & DutyStore & SyncStore & ReplayStore
    & HousekeepingStore

extension DutyStore {
    /// Who is on duty in each duty group of `directory` at `instant`, as user ids for notices:
    /// `user` entries by id, `group` entries by the members of the fta group of that id.
    package func onDuty(directory: UserDirectory, at instant: Int64) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for (id, group) in directory.groups where group.needDuty {
            guard let clock = ZoneClock(identifier: group.timezone) else { continue }
            out[id] = try who(group: group, at: instant, clock: clock).userIds(in: directory)
        }
        return out
    }

    /// Sets `directory.onDutyUsers` for its duty groups at `instant`. A duty group with nobody on
    /// duty falls back to the users it lists, if any (the original notified nobody). Returns
    /// the duty groups that have nobody to notify.
    @discardableResult
    package func applyDuty(to directory: inout UserDirectory, at instant: Int64) throws -> [String] {
        directory.applyDuty(try onDuty(directory: directory, at: instant))
    }

    /// The users on duty for `group` at an instant (docs/original-system.md §8.4).
    package func who(group: UserGroup, at instant: Int64, clock: ZoneClock) throws -> DutyResolution {
        let wall = clock.wall(at: instant)
        let plans = try dutyPlans(group: group.id, from: wall.adding(days: -1), to: wall.adding(days: 1), includeCancelled: false)
        return DutyResolution.resolve(group: group, plans: plans, at: instant, clock: clock)
    }
}

extension BreakerStore {
    package func breakerMatcher(now: Int64) throws -> BreakerMatcher { BreakerMatcher(rules: try breakerRules(now: now, includeExpired: false)) }
}
