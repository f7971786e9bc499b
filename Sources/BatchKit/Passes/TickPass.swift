import Foundation
import Logging
import Synchronization

/// Options of one `fta-tick` pass (flags, else the config's `tick:` section).
public struct TickOptions: Sendable {
    public var batch: Int
    public var concurrency: Int
    public var lease: Double
    public var maxRuntime: Double
    public var workerId: String

    public init(settings: TickSettings, workerId: String? = nil) {
        batch = settings.batch
        concurrency = settings.concurrency
        lease = settings.lease
        maxRuntime = settings.maxRuntime
        self.workerId = workerId ?? TickOptions.defaultWorkerId()
    }

    public static func defaultWorkerId() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        return "\(String(cString: name)):\(getpid())"
    }
}

/// What one pass did, for the summary log line, the metrics file and tests.
public struct PassReport: Sendable {
    public struct Counts: Sendable, Equatable {
        public var claimed = 0, succeeded = 0, failed = 0, retried = 0, continued = 0, finishedOther = 0
        public init() {}
    }
    public var byPlugin: [String: Counts] = [:]
    public var timedOut = 0
    /// Claimed rows whose previous lease had expired without an outcome.
    public var expiredLeases = 0
    public var released = 0
    public var lost = 0
    /// Interval-repeat rounds created before the claim.
    public var repeatsCreated = 0
    /// Actions held by the circuit breaker, by "stage|rule id".
    public var held: [String: Int] = [:]
    public var seconds: Double = 0

    public init() {}

    public var total: Counts {
        byPlugin.values.reduce(into: Counts()) { t, c in
            t.claimed += c.claimed; t.succeeded += c.succeeded; t.failed += c.failed
            t.retried += c.retried; t.continued += c.continued; t.finishedOther += c.finishedOther
        }
    }
}

/// One `fta-tick` pass (ARCHITECTURE §3): sweep, claim with leases, run with bounded
/// concurrency, record outcomes in batched transactions, stop claiming near the runtime
/// limit and release what was not started.
public final class TickPass {
    let store: ActionStore
    let registry: ProcessorRegistry
    let options: TickOptions
    let settings: TickSettings
    let clock: Clock
    let logger: Logger
    /// Randomness for retry jitter, handed to the core (which stays free of it).
    var random: () -> Double = { Double.random(in: 0..<1) }
    /// Builds interval repeats' next rounds; nil = repeats are not created by this pass.
    public var creation: CreationStage?

    /// Outcomes are written when this many are waiting, or every `flushInterval` seconds.
    let flushSize = 256
    let flushInterval = 0.02

    public init(store: ActionStore, registry: ProcessorRegistry, options: TickOptions, settings: TickSettings, clock: Clock, logger: Logger) {
        self.store = store
        self.registry = registry
        self.options = options
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    public func run() throws -> PassReport {
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        var report = PassReport()
        try store.database.useRelaxedDurability()

        let sweep = try store.sweep(now: clock.now())
        report.timedOut = sweep.timedOut.count
        if !sweep.timedOut.isEmpty {
            logger.warning("timed out \(sweep.timedOut.count) actions past their deadline", metadata: ["ids": "\(sweep.timedOut.prefix(20).map(String.init).joined(separator: ","))"])
        }

        if let creation {
            // Interval repeats due now get their next round before the claim, so it goes out in this pass.
            while true {
                let now = clock.now()
                let r = try store.createDueRepeats(now: now, limit: 500) { try creation.planRepeat($0, now: now) }
                report.repeatsCreated += r.created.count
                for f in r.failed { logger.error("\(f)") }
                if !r.created.isEmpty {
                    logger.info("interval repeats: \(r.created.count) rounds created", metadata: ["ids": "\(r.created.prefix(20).map { String($0.id) }.joined(separator: ","))"])
                }
                if r.created.count + r.ended + r.failed.count < 500 || elapsed() > options.maxRuntime / 2 { break }
            }
        }

        let breaker = try BreakerStore(database: store.database).matcher(now: clock.now())
        let digests = try store.createDueDigests(now: clock.now())
        if !digests.isEmpty { logger.info("digests of held-back notices: \(digests.count) created") }

        let queue = WorkQueue()
        let group = DispatchGroup()
        var workersStarted = 0
        var held: [Int64: ClaimedAction] = [:]
        var exhausted = false
        var stopping = false
        let lease = Int64(options.lease.rounded(.up))
        let stopAt = max(0, options.maxRuntime - min(5, options.maxRuntime * 0.1))
        var lastRenew = elapsed()
        var pendingUpdates: [(ActionUpdate, WorkQueue.Done)] = []
        /// Summary actions in flight: the actions each covers (their `real_status` follows it).
        var summaries: [Int64: [Int64]] = [:]
        var lastFlush = elapsed()

        func startWorkers(upTo n: Int) {
            while workersStarted < min(n, options.concurrency) {
                workersStarted += 1
                group.enter()
                let thread = Thread { [registry, settings, clock, store, breaker] in
                    let worker = WorkerContext(settings: settings, clock: clock)
                    worker?.dedupe = NoticeDedupe(database: store.database)
                    if let worker { worker.breaker = breaker }
                    while let actions = queue.next(), let first = actions.first {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        let results: [StepResult]
                        if let worker, let held = worker.breaker.executionHold(first) {
                            // Held at the execution stage: the step is not run.
                            results = actions.map { worker.breaker.executionHold($0) ?? held }
                        } else if let worker, first.status == .waiting || first.nextStep.hasPrefix("approve") {
                            results = actions.map { registry.approval.run($0, worker: worker) }
                        } else if let worker, let processor = registry.processor(for: first.pluginType) {
                            results = processor.run(group: actions, worker: worker)
                        } else {
                            // Out of memory, or a row of a type this build cannot run: recorded as a failure.
                            let reason = worker == nil ? "no HTTP handle could be allocated" : "no processor for plugin_type '\(first.pluginType)' in this version of fta"
                            results = actions.map { _ in StepResult(outcome: ActionOutcome(worker == nil ? .failed(.frameworkCode, retryAfter: nil) : .finished(.failure), message: reason)) }
                        }
                        let ms = Int((DispatchTime.now().uptimeNanoseconds - t0) / 1_000_000)
                        queue.complete(zip(actions, results).map { .init(action: $0.0, result: $0.1, milliseconds: ms) })
                    }
                    group.leave()
                }
                thread.stackSize = 1 << 20
                thread.name = "fta-worker-\(workersStarted)"
                thread.start()
            }
        }

        /// Claimed actions in run order; those a processor merges travel as one group.
        func groups(_ claimed: [ClaimedAction]) -> [[ClaimedAction]] {
            var out: [[ClaimedAction]] = []
            var index: [String: Int] = [:]
            for a in claimed {
                guard a.status != .waiting, let key = registry.processor(for: a.pluginType)?.mergeKey(for: a) else { out.append([a]); continue }
                let full = a.pluginType + "\u{0}" + key
                if let i = index[full] { out[i].append(a) } else { index[full] = out.count; out.append([a]) }
            }
            return out
        }

        func flush() throws {
            guard !pendingUpdates.isEmpty else { return }
            let now = clock.now()
            let lost = Set(try store.record(pendingUpdates.map(\.0), now: now))
            for (update, done) in pendingUpdates {
                held[update.id] = nil
                let plugin = done.action.pluginType
                if lost.contains(update.id) {
                    report.lost += 1
                    logger.warning("outcome discarded: the lease was taken over or the row was finished meanwhile",
                                   metadata: ["action": "\(update.id)", "plugin": "\(plugin)"])
                    continue
                }
                var c = report.byPlugin[plugin] ?? PassReport.Counts()
                switch update.kind {
                case .succeeded: c.succeeded += 1
                case .failed: c.failed += 1
                case .retried: c.retried += 1
                case .continued: c.continued += 1
                case .finished: c.finishedOther += 1
                }
                report.byPlugin[plugin] = c
                if update.status == .blocked, let rule = update.exData["breaker_rule"]?.intValue {
                    let stage = plugin == "notice" || plugin == "collect" ? "notice" : "execution"
                    report.held["\(stage)|\(rule)", default: 0] += 1
                    logger.warning("held by breaker rule \(rule)", metadata: ["action": "\(update.id)", "plugin": "\(plugin)", "stage": "\(stage)", "rule": "\(rule)"])
                }
                if let due = update.dueAt, due <= now { exhausted = false }
                let message = update.exData["message"]?.stringValue ?? ""
                let meta: Logger.Metadata = [
                    "action": "\(update.id)", "plugin": "\(plugin)", "step": "\(done.action.nextStep)",
                    "status": "\(update.status.rawValue)", "attempt": "\(update.executeTimes)",
                    "ms": "\(done.milliseconds)", "detail": "\(done.result.detail)",
                ]
                switch update.kind {
                case .succeeded, .continued, .finished:
                    logger.info("action \(update.kind.rawValue): \(TextLimit.excerpt(message))", metadata: meta)
                case .retried:
                    logger.info("action will retry at \(TimeParser.iso(update.dueAt ?? now)): \(TextLimit.excerpt(message))", metadata: meta)
                case .failed:
                    logger.info("action failed: \(TextLimit.excerpt(message))", metadata: meta)
                }
            }
            pendingUpdates.removeAll(keepingCapacity: true)
            lastFlush = elapsed()
        }

        /// The converge step (reference §6.1) for claimed actions that carry a converge config:
        /// those it does not let run now are recorded with its decision; the rest are returned.
        func converge(_ claimedRows: [ClaimedAction]) throws -> [ClaimedAction] {
            var claimed = claimedRows
            // Summary actions whose wait is over: gathered in the database, sent as notices.
            let collects = claimed.filter { $0.pluginType == "collect" }
            if !collects.isEmpty {
                let now = clock.now()
                let prepared = try ConvergeStore(database: store.database).prepareCollect(collects, now: now)
                claimed = claimed.compactMap { a in
                    switch prepared[a.id] {
                    case nil: return a
                    case .send(let notice, let related)?:
                        summaries[a.id] = related
                        return notice
                    case .skip(let why)?:
                        let outcome = ActionOutcome(.finished(.skipped), message: why)
                        let update = OutcomeResolver.resolve(action: a, outcome: outcome, policy: .none, now: now, random: random())
                        pendingUpdates.append((update, WorkQueue.Done(action: a, result: StepResult(outcome: outcome, detail: "summary"), milliseconds: 0)))
                        return nil
                    }
                }
            }
            let candidates = claimed.filter(ConvergeStore.needsConverge)
            guard !candidates.isEmpty else { return claimed }
            let now = clock.now()
            let results = try ConvergeStore(database: store.database).converge(candidates, now: now)
            var run: [ClaimedAction] = []
            for var a in claimed {
                guard let r = results[a.id] else { run.append(a); continue }
                var outputs: [String: JSONValue] = ["converge_message": .string(r.message)]
                if let id = r.convergeId { outputs["converge_id"] = .int(id) }
                var outcome: ActionOutcome
                switch r.decision {
                case .execute:
                    if a.nextStep == "converge" { a.nextStep = "execute" }
                    run.append(a)
                    continue
                case .skipped:
                    outcome = ActionOutcome(.finished(.skipped), message: r.message, outputs: outputs)
                case .shield:
                    outcome = ActionOutcome(.finished(.shield), message: r.message, outputs: outputs)
                case .sleep:
                    outcome = ActionOutcome(.next(step: "converge", after: Double(ConvergeRules.sleepSeconds)), message: r.message, outputs: outputs)
                    outcome.nextStatus = .sleep
                case .waiting:
                    outcome = ActionOutcome(.next(step: "approve", after: 0), message: r.message, outputs: outputs)
                    outcome.nextStatus = .waiting
                    outcome.deadlineAfter = ApprovalFlow.window + 300
                }
                let update = OutcomeResolver.resolve(action: a, outcome: outcome, policy: .none, now: now, random: random())
                pendingUpdates.append((update, WorkQueue.Done(action: a, result: StepResult(outcome: outcome, detail: "converge"), milliseconds: 0)))
            }
            return run
        }

        do {
            while true {
                let signalled = StopSignals.requested
                if !stopping && (elapsed() >= stopAt || signalled) {
                    stopping = true
                    let unstarted = queue.takeUnstarted()
                    if !unstarted.isEmpty {
                        try store.release(unstarted)
                        for a in unstarted { held[a.id] = nil }
                        report.released += unstarted.count
                    }
                    let why = signalled ? "stop signal received" : "runtime limit near"
                    logger.info("\(why): released \(unstarted.count) unstarted actions, finishing \(queue.outstanding) in flight")
                }
                if !stopping && !exhausted && queue.pendingCount < max(options.concurrency * 2, options.batch / 2) {
                    let claimed = try store.claimDue(limit: options.batch, now: clock.now(), lease: lease, owner: options.workerId)
                    if claimed.count < options.batch { exhausted = true }
                    let takenOver = claimed.filter(\.leaseWasExpired).map(\.id)
                    if !takenOver.isEmpty {
                        report.expiredLeases += takenOver.count
                        logger.warning("running \(takenOver.count) actions again whose lease expired (a pass died or stalled); they may have been sent once already",
                                       metadata: ["ids": "\(takenOver.prefix(50).map(String.init).joined(separator: ","))"])
                    }
                    for a in claimed {
                        held[a.id] = a
                        var c = report.byPlugin[a.pluginType] ?? PassReport.Counts()
                        c.claimed += 1
                        report.byPlugin[a.pluginType] = c
                    }
                    let toRun = try converge(claimed)
                    queue.push(groups(toRun))
                    startWorkers(upTo: queue.outstanding)
                }
                if held.isEmpty && pendingUpdates.isEmpty && (exhausted || stopping) { break }

                let finished = queue.results(atLeast: flushSize, timeout: flushInterval)
                let now = clock.now()
                for done in finished {
                    var update = OutcomeResolver.resolve(action: done.action, outcome: done.result.outcome,
                                                         policy: done.result.policy, now: now, random: random())
                    if let related = summaries.removeValue(forKey: done.action.id) { update.realStatusFor = related }
                    if let creation {
                        update.spawn = ExecutionNotice.drafts(action: done.action, update: update, directory: creation.directory,
                                                              finalFailureOnly: settings.executeNoticeFinalFailureOnly)
                    }
                    pendingUpdates.append((update, done))
                }
                if pendingUpdates.count >= flushSize || elapsed() - lastFlush >= flushInterval || queue.outstanding == 0 {
                    try flush()
                }
                if elapsed() - lastRenew >= options.lease / 3, !held.isEmpty {
                    let now = clock.now()
                    let lost = try store.renew(held.values.map { ($0.id, $0.leaseToken) }, until: now + lease)
                    for id in lost {
                        logger.warning("lease lost while the action was held; its outcome will be discarded", metadata: ["action": "\(id)"])
                    }
                    lastRenew = elapsed()
                }
            }
        } catch {
            // Leave the database consistent: give back what never started; running actions
            // keep their lease and are re-run after it expires.
            let unstarted = queue.takeUnstarted()
            try? store.release(unstarted)
            queue.close()
            throw error
        }
        queue.close()
        group.wait()
        report.seconds = elapsed()
        return report
    }
}
