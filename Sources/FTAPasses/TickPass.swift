import Foundation
import FTAActions
import FTAConfig
import FTACore
import FTATransport
import Logging
import Synchronization

/// Options of one `fta-tick` pass (flags, else the config's `tick:` section).
package struct TickOptions: Sendable {
    package var batch: Int
    package var concurrency: Int
    package var lease: Double
    package var maxRuntime: Double
    package var workerId: String
    /// After draining, wait for rows that come due or are added, until `maxRuntime`.
    package var linger = false

    package init(settings: TickSettings, workerId: String? = nil) {
        batch = settings.batch
        concurrency = settings.concurrency
        lease = settings.lease
        maxRuntime = settings.maxRuntime
        self.workerId = workerId ?? TickOptions.defaultWorkerId()
    }

    package static func defaultWorkerId() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        return "\(String(cString: name)):\(getpid())"
    }
}

/// One `fta-tick` pass (docs/architecture.md, "The action lifecycle"), in named stages so a
/// lingering loop can run them again:
///
/// 1. ``sweep()``: actions past their deadline fail as timeouts;
/// 2. ``createRepeatsAndDigests()``: interval rounds and digests that are due become rows;
/// 3. ``claim()`` → ``converge(_:)`` → ``dispatch(_:)``: due rows are claimed with a lease, the
///    converge step decides what runs, the rest go to the worker threads (which run the
///    processors, and for notices ask the store's gate before sending);
/// 4. ``record(atLeast:timeout:)``: outcomes are resolved and written in batches, fenced by lease;
/// 5. ``renewLeases()``: leases of rows still held are extended;
/// 6. ``release(reason:)``: near the runtime limit or on a stop signal, what has not started
///    is given back.
///
/// With `linger`, a drained pass does not exit: ``waitForWork()`` sleeps until the next due time
/// the store knows of, or until another process commits (new rows, a retry by hand), and the
/// stages run again, until the runtime ends (docs/architecture.md, "Lingering").
package final class TickPass {
    let store: any QueueStore
    let registry: ProcessorRegistry
    let options: TickOptions
    let settings: TickSettings
    let clock: Clock
    let logger: Logger
    /// Randomness for retry jitter on this thread, handed to the core (which stays free of it);
    /// each worker has its own.
    private let random = FastRandom()
    /// Builds interval repeats' next rounds; nil = repeats are not created by this pass.
    package var creation: CreationStage?

    /// Outcomes are written when this many are waiting, or every `flushInterval` seconds.
    let flushSize = 256
    let flushInterval = 0.02

    // State of the pass between its stages.
    private(set) var report = PassReport()
    private let queue: WorkQueue
    /// Webhooks in flight, all driven from one transfer thread (nil: out of memory, then the
    /// workers send them one at a time as other steps).
    private let transfers: HTTPMulti?
    private let workers = DispatchGroup()
    private var workersStarted = 0
    /// The breaker rules, re-read while a lingering pass runs; workers read it per group.
    private let breaker = LockedValue(BreakerMatcher(rules: []))
    /// Claimed rows not yet recorded (their leases are renewed).
    private var held: [Int64: ClaimedAction] = [:]
    private var pendingUpdates: [(ActionUpdate, WorkQueue.Done)] = []
    /// Summary actions in flight: the actions each covers (their `real_status` follows it).
    private var summaries: [Int64: [Int64]] = [:]
    /// The last claim found fewer due rows than it asked for.
    private var exhausted = false
    private var stopping = false
    private let started = DispatchTime.now().uptimeNanoseconds
    private var lastRenew = 0.0
    private var lastFlush = 0.0
    // Lingering.
    /// The store's change mark when last looked at.
    private var lastMark: Int64 = 0
    /// The earliest due time known (the store's, or one this pass wrote since).
    private var nextKnownDue = Double.infinity
    private var lastLook = 0.0
    private var lastHousekeeping = 0.0
    private var lastHeartbeat = -Double.infinity
    /// How often a lingering pass asks the store whether another process wrote (seconds).
    package var pollInterval = 0.05
    private let startedAt: Int64
    /// The zone of relations' processing windows (`tick.timezone`, else the host's).
    private lazy var processingZone: ZoneClock = settings.timezone.flatMap(ZoneClock.init(identifier:))
        ?? ZoneClock(identifier: TimeZone.current.identifier) ?? ZoneClock(identifier: "UTC")!

    package init(store: any QueueStore, registry: ProcessorRegistry, options: TickOptions, settings: TickSettings, clock: Clock, logger: Logger) {
        self.store = store
        self.registry = registry
        self.options = options
        self.settings = settings
        transfers = HTTPMulti(maxResponseBytes: settings.maxResponseBytes, userAgent: settings.userAgent, connections: options.concurrency,
                              maxInFlight: options.concurrency)
        // With the transfer loop, as many webhooks again may be prepared ahead of those in flight
        // (it holds them until one finishes); blocking steps stay at `concurrency`, one per
        // worker thread.
        queue = WorkQueue(limit: transfers == nil ? options.concurrency : 2 * options.concurrency)
        self.clock = clock
        self.logger = logger
        startedAt = clock.now()
        installRefill()
    }

    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
    var lease: Int64 { Int64(options.lease.rounded(.up)) }
    /// When claiming stops: a little before `--max-runtime`, so what is in flight can finish.
    var stopAt: Double { max(0, options.maxRuntime - min(5, options.maxRuntime * 0.1)) }

    /// The whole pass: the stages in order until nothing is due (or, lingering, until the
    /// runtime ends) or the pass must stop.
    package func run() throws -> PassReport {
        try store.preparePass()
        try heartbeat(force: true)
        defer { try? store.endPass(workerId: options.workerId) }
        try housekeeping()
        if options.linger { lastMark = try store.changeMark() }
        do {
            while true {
                let signalled = StopSignals.requested
                if !stopping && (elapsed >= stopAt || signalled) {
                    try release(reason: signalled ? "stop signal received" : "runtime limit near")
                }
                if options.linger && exhausted && !stopping { try lookForWork() }
                // The next batch is claimed while the workers still have a batch's worth to do: this
                // thread alone claims and records, and workers that drained the queue would sit
                // idle through its claim and dispatch (docs/decisions.md, "The recording thread first").
                if !stopping && !exhausted && queue.pendingCount < max(options.concurrency * 2, options.batch) {
                    dispatch(try converge(try claim()))
                }
                if held.isEmpty && pendingUpdates.isEmpty && (exhausted || stopping) {
                    if stopping || !options.linger { break }
                    try waitForWork()
                    continue
                }
                try record(atLeast: flushSize, timeout: flushInterval)
                try renewLeases()
                try heartbeat()
            }
        } catch {
            // Leave the database consistent: give back what never started; running actions
            // keep their lease and are run again after it expires.
            try? store.release(takeBackUnstarted())
            queue.close()
            throw error
        }
        queue.close()
        workers.wait()
        transfers?.shutdown()
        report.seconds = elapsed
        report.worker = options.workerId
        report.endedAt = clock.now()
        return report
    }

    /// The stages that run before claiming: the sweep, interval rounds and digests, and the
    /// breaker rules in force.
    func housekeeping() throws {
        try sweep()
        try createRepeatsAndDigests()
        let matcher = try store.breakerMatcher(now: clock.now())
        breaker.value = matcher
        lastHousekeeping = elapsed
    }

    // MARK: Lingering

    /// While a lingering pass is busy and has drained the due rows: claim again when another
    /// process has written or something this pass knows of has come due (asked at most every
    /// ``pollInterval``).
    func lookForWork() throws {
        guard elapsed - lastLook >= pollInterval else { return }
        lastLook = elapsed
        let mark = try store.changeMark()
        if mark != lastMark {
            lastMark = mark
            exhausted = false
        }
        if clock.instant() >= nextKnownDue {
            exhausted = false
            // What comes due after it (the pass knows only the earliest).
            nextKnownDue = try store.nextDue(after: clock.instant()) ?? .infinity
        }
        if !exhausted, elapsed - lastHousekeeping >= 1 { try housekeeping() }
    }

    /// Sleeps until the store's next due time, a commit by another process, a stop signal or
    /// the end of the runtime, then runs the stages before claiming and lets the pass claim.
    func waitForWork() throws {
        let due = try store.nextDue(after: clock.instant()) ?? .infinity
        nextKnownDue = due
        while !StopSignals.requested && elapsed < stopAt {
            let now = clock.instant()
            if now >= due { break }
            let mark = try store.changeMark()
            if mark != lastMark {
                lastMark = mark
                break
            }
            try heartbeat()
            let nap = min(pollInterval, due - now, stopAt - elapsed)
            if nap > 0 { usleep(UInt32(nap * 1_000_000)) }
        }
        if StopSignals.requested || elapsed >= stopAt { return }
        exhausted = false
        try housekeeping()
        nextKnownDue = try store.nextDue(after: clock.instant()) ?? .infinity
    }

    /// Registers the pass and refreshes its heartbeat every 5 seconds (`fta-tick status`).
    func heartbeat(force: Bool = false) throws {
        guard force || elapsed - lastHeartbeat >= 5 else { return }
        lastHeartbeat = elapsed
        try store.heartbeat(PassWorker(workerId: options.workerId, startedAt: startedAt, heartbeatAt: clock.now(),
                                       lingering: options.linger, endsBy: startedAt + Int64(options.maxRuntime.rounded(.up))))
    }

    // MARK: 1. Sweep

    /// Fails actions past their deadline as timeouts (never a finished row).
    func sweep() throws {
        let sweep = try store.sweep(now: clock.now())
        report.timedOut += sweep.timedOut.count
        if !sweep.timedOut.isEmpty {
            logger.warning("timed out \(sweep.timedOut.count) actions past their deadline", metadata: ["ids": "\(sweep.timedOut.prefix(20).map(String.init).joined(separator: ","))"])
        }
    }

    // MARK: 2. Repeats and digests

    /// Interval repeats due now get their next round before the claim, so it goes out in this
    /// pass; digests whose window ended become notices.
    func createRepeatsAndDigests() throws {
        if let creation {
            while true {
                let now = clock.now()
                let limits = settings.repeatLimits
                var stale: [String] = []
                let r = try store.createDueRepeats(now: now, limit: 500) { due in
                    if let why = limits.stopReason(due, now: now) {
                        stale.append(why)
                        return nil
                    }
                    return try creation.planRepeat(due, now: now)
                }
                for why in stale { logger.warning("\(why)") }
                report.repeatsCreated += r.created.count
                for f in r.failed { logger.error("\(f)") }
                if !r.created.isEmpty {
                    logger.info("interval repeats: \(r.created.count) rounds created", metadata: ["ids": "\(r.created.prefix(20).map { String($0.id) }.joined(separator: ","))"])
                }
                if r.created.count + r.ended + r.failed.count < 500 || elapsed > options.maxRuntime / 2 { break }
            }
        }
        let digests = try store.createDueDigests(now: clock.now(), limit: 500)
        if !digests.isEmpty { logger.info("digests of held-back notices: \(digests.count) created") }
    }

    // MARK: 3. Claim, converge, dispatch

    /// Claims the next batch of due rows with a lease.
    func claim() throws -> [ClaimedAction] {
        let now = clock.instant()
        let claimed = try store.claimDue(limit: options.batch, now: now, lease: lease, owner: options.workerId)
        if claimed.count < options.batch { exhausted = true }
        // How late each starts after it came due (for a row whose lease ran out: after that).
        for a in claimed { report.startDelay.observe(now - a.cameDueAt) }
        let takenOver = claimed.filter(\.leaseWasExpired).map(\.id)
        if !takenOver.isEmpty {
            report.expiredLeases += takenOver.count
            logger.warning("running \(takenOver.count) actions again whose lease expired (a pass died or stalled); they may have been sent once already",
                           metadata: ["ids": "\(takenOver.prefix(50).map(String.init).joined(separator: ","))"])
        }
        for a in claimed {
            held[a.id] = a
            report.byPlugin[a.pluginType, default: PassReport.Counts()].claimed += 1
        }
        return claimed
    }

    /// The converge step (docs/original-system.md §6.1) and the summaries whose wait is over:
    /// actions it does not let run now are recorded with its decision; the rest are returned.
    func converge(_ claimedRows: [ClaimedAction]) throws -> [ClaimedAction] {
        var claimed = claimedRows
        let collects = claimed.filter { $0.pluginType == "collect" }
        if !collects.isEmpty {
            let now = clock.now()
            let prepared = try store.prepareCollect(collects, now: now)
            claimed = claimed.compactMap { a in
                switch prepared[a.id] {
                case nil: return a
                case .send(let notice, let related)?:
                    summaries[a.id] = related
                    return notice
                case .skip(let why)?:
                    decided(a, ActionOutcome(.finished(.skipped), message: why), detail: "summary", now: now)
                    return nil
                }
            }
        }
        // Processing windows: an action not started yet, outside its relation's time of day, is
        // shielded before it converges or runs.
        if claimed.contains(where: { $0.text.inputs.containsBytes("time_range") }) {
            let now = clock.now()
            let wall = now + processingZone.offset(at: now)
            claimed = claimed.filter { a in
                guard let why = ProcessingWindow.shieldReason(a, wallSecondOfDay: wall) else { return true }
                decided(a, ActionOutcome(.finished(.shield), message: why, outputs: ["shield": ["type": "alarm_time", "detail": .string(why)]]),
                        detail: "processing window", now: now)
                return false
            }
        }
        let candidates = claimed.filter(ConvergeRules.needsConverge)
        guard !candidates.isEmpty else { return claimed }
        let now = clock.now()
        let results = try store.converge(candidates, now: now, notices: settings.noticeConverge)
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
                outcome.deadlineAfter = ApprovalWindow.withMargin
            }
            decided(a, outcome, detail: "converge", now: now)
        }
        return run
    }

    /// An outcome decided in the pass itself (not by a processor), queued for recording.
    private func decided(_ a: ClaimedAction, _ outcome: ActionOutcome, detail: String, now: Int64) {
        let update = OutcomeResolver.resolve(action: a, outcome: outcome, policy: .none, now: now, instant: clock.instant(), random: random.unit())
        pendingUpdates.append((update, WorkQueue.Done(action: a, result: StepResult(outcome: outcome, detail: detail), milliseconds: 0)))
    }

    /// Hands the actions to the workers, merged into groups where a processor sends them as one.
    func dispatch(_ actions: [ClaimedAction]) {
        var groups: [[ClaimedAction]] = []
        var index: [String: Int] = [:]
        for a in actions {
            guard a.status != .waiting, let key = registry.processor(for: a.pluginType)?.mergeKey(for: a) else { groups.append([a]); continue }
            let full = a.pluginType + "\u{0}" + key
            if let i = index[full] { groups[i].append(a) } else { index[full] = groups.count; groups.append([a]) }
        }
        queue.push(groups)
        startWorkers(upTo: queue.outstanding)
    }

    private func startWorkers(upTo n: Int) {
        while workersStarted < min(n, options.concurrency) {
            workersStarted += 1
            workers.enter()
            let outcomes = Outcomes(creation: creation, executeNotice: settings.executeNotice)
            let thread = Thread { [registry, settings, clock, store, breaker, queue, workers, transfers] in
                let worker = WorkerContext(settings: settings, clock: clock)
                let random = FastRandom()
                var again = false
                while let actions = queue.next(again: again), let first = actions.first {
                    again = true
                    worker?.breaker = breaker.value
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    if let worker, let transfers, actions.count == 1,
                       TickPass.submit(first, worker: worker, registry: registry, transfers: transfers, clock: clock, queue: queue) {
                        continue
                    }
                    if let worker, let transfers,
                       TickPass.submitNotices(actions, worker: worker, registry: registry, store: store, transfers: transfers, clock: clock,
                                              queue: queue, outcomes: outcomes, random: random) {
                        continue
                    }
                    queue.blocking()
                    let results = TickPass.execute(actions, worker: worker, registry: registry, store: store, clock: clock)
                    let ms = Int((DispatchTime.now().uptimeNanoseconds - t0) / 1_000_000)
                    let finished = clock.instant()
                    queue.unblocked()
                    // Resolved and encoded here, off the recording thread, which a notice pass
                    // keeps busy with the database.
                    let now = clock.now()
                    queue.complete(zip(actions, results).map {
                        var done = WorkQueue.Done(action: $0.0, result: $0.1, milliseconds: ms, finishedAt: finished)
                        done.update = outcomes.update(for: done, now: now, random: random.unit())
                        return done
                    })
                }
                workers.leave()
            }
            thread.stackSize = 1 << 20
            thread.name = "fta-worker-\(workersStarted)"
            thread.start()
        }
    }

    /// Whether `action`'s step is a webhook send, which the transfer loop runs without blocking a
    /// thread (unless the breaker holds it): not waiting, not an approval, a webhook.
    static func isWebhookSend(_ action: ClaimedAction, registry: ProcessorRegistry) -> Bool {
        action.status != .waiting && !action.nextStep.hasPrefix("approve") && registry.processor(for: action.pluginType) is WebhookProcessor
    }

    /// Sends a webhook step through the shared transfer loop and returns at once (its result is
    /// completed from the transfer thread); false when the step is not a plain webhook send and
    /// must run as a blocking step. A webhook decided without sending completes here.
    static func submit(_ action: ClaimedAction, worker: WorkerContext, registry: ProcessorRegistry, transfers: HTTPMulti, clock: Clock,
                       queue: WorkQueue) -> Bool {
        guard isWebhookSend(action, registry: registry), let webhook = registry.processor(for: action.pluginType) as? WebhookProcessor,
              worker.breaker.executionHold(action) == nil else { return false }
        let t0 = DispatchTime.now().uptimeNanoseconds
        switch webhook.prepare(action, worker: worker) {
        case .decided(let result):
            let ms = Int((DispatchTime.now().uptimeNanoseconds - t0) / 1_000_000)
            queue.complete([.init(action: action, result: result, milliseconds: ms, finishedAt: clock.instant())])
        case .send(let request, let finish):
            let rendered = DispatchTime.now().uptimeNanoseconds - t0
            transfers.submit(request, tag: action.id) { response, started in
                // Counted from the transfer's start: a request rendered ahead waited for a place.
                let now = DispatchTime.now().uptimeNanoseconds
                let sending = now >= started ? now - started : 0
                let result = finish(response, Int(sending / 1_000_000))
                // On the transfer thread, which decides once per round whether to wake a worker.
                queue.complete([.init(action: action, result: result, milliseconds: Int((rendered + sending) / 1_000_000), finishedAt: clock.instant())],
                               wakeWorker: false)
            }
        }
        return true
    }

    /// Runs a notice group whose message goes out through an HTTP gateway without blocking a
    /// thread: the worker prepares the group and passes the gate, hands the gateway's requests
    /// to the transfer loop (without a tag: once the gate has admitted a send, it is sent even
    /// when the pass stops) and takes the next group; the last answer finishes the group on the
    /// transfer thread, its outcomes resolved there with jitter drawn here. A mail or bot message
    /// is sent by this worker, blocking. False for a group that is not a notice step (an
    /// approval), which ``execute`` runs.
    static func submitNotices(_ actions: [ClaimedAction], worker: WorkerContext, registry: ProcessorRegistry, store: any QueueStore,
                              transfers: HTTPMulti, clock: Clock, queue: WorkQueue, outcomes: Outcomes, random: FastRandom) -> Bool {
        guard let first = actions.first, first.status != .waiting, !first.nextStep.hasPrefix("approve"),
              let notices = registry.processor(for: first.pluginType) as? NoticeProcessor,
              worker.breaker.executionHold(first) == nil else { return false }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let jitter = actions.map { _ in random.unit() }
        func finish(_ results: [StepResult]) {
            let ms = Int((DispatchTime.now().uptimeNanoseconds - t0) / 1_000_000)
            let finished = clock.instant(), now = clock.now()
            queue.complete(zip(zip(actions, results), jitter).map { pair, random in
                var done = WorkQueue.Done(action: pair.0, result: pair.1, milliseconds: ms, finishedAt: finished)
                done.update = outcomes.update(for: done, now: now, random: random)
                return done
            }, wakeWorker: false)
        }
        let plan = notices.prepare(group: actions, worker: worker)
        let decisions: [GateDecision]
        switch admit(plan, of: actions, store: store, clock: clock) {
        case .success(let d): decisions = d
        case .failure(let unavailable):
            finish(unavailable.results)
            return true
        }
        let outgoing = notices.outgoing(plan, decisions: decisions)
        guard case .send(let message, let gateway as GatewayChannel, let complete) = outgoing, let sender = worker.channels else {
            // Results known without sending, or a mail or bot message, which the worker sends.
            if case .done(let results) = outgoing {
                finish(results)
            } else {
                queue.blocking()
                let results = notices.deliver(outgoing, group: actions, worker: worker)
                queue.unblocked()
                finish(results)
            }
            return true
        }
        let calls = gateway.calls(for: message, worker: sender)
        let sending = calls.indices.filter { calls[$0].request != nil }
        guard !sending.isEmpty else {
            finish(complete(gateway.results(calls, calls.map { _ in nil })))
            return true
        }
        // Answers arrive on the transfer thread, or at once on this one for a request the loop
        // refuses; the last one finishes the group.
        let answers = LockedValue(Answers(count: calls.count, waiting: sending.count))
        for i in sending {
            transfers.submit(calls[i].request!, tag: nil) { answer, _ in
                let all: [Result<HTTPResponse, TransportError>?]? = answers.update { a in
                    a.answers[i] = answer
                    a.waiting -= 1
                    return a.waiting == 0 ? a.answers : nil
                }
                if let all { finish(complete(gateway.results(calls, all))) }
            }
        }
        return true
    }

    /// The answers of one notice group's gateway calls, as they arrive.
    struct Answers: Sendable {
        var answers: [Result<HTTPResponse, TransportError>?]
        var waiting: Int
        init(count: Int, waiting: Int) {
            answers = Array(repeating: nil, count: count)
            self.waiting = waiting
        }
    }

    /// After each round of finished transfers: a worker is woken to prepare more webhooks once
    /// half the pass's concurrency can be taken, or at once for a step that is not a webhook
    /// (``WorkQueue/wakeWorkerForTransfers(batch:transferable:)``).
    private func installRefill() {
        let batch = max(1, options.concurrency / 2)
        transfers?.refill = { [queue, registry] in
            queue.wakeWorkerForTransfers(batch: batch) { g in g.count == 1 && TickPass.isWebhookSend(g[0], registry: registry) }
        }
    }

    /// Runs one group on a worker thread: held by the breaker, an approval step, or its
    /// processor; notices pass the store's gate between preparing and sending.
    static func execute(_ actions: [ClaimedAction], worker: WorkerContext?, registry: ProcessorRegistry, store: any QueueStore, clock: Clock) -> [StepResult] {
        guard let first = actions.first else { return [] }
        guard let worker else {
            // Out of memory: recorded as a failure that is retried.
            return actions.map { _ in StepResult(outcome: ActionOutcome(.failed(.frameworkCode, retryAfter: nil), message: "no HTTP handle could be allocated")) }
        }
        if let held = worker.breaker.executionHold(first) {
            // Held at the execution stage: the step is not run.
            return actions.map { worker.breaker.executionHold($0) ?? held }
        }
        if first.status == .waiting || first.nextStep.hasPrefix("approve") {
            return actions.map { registry.approval.run($0, worker: worker) }
        }
        guard let processor = registry.processor(for: first.pluginType) else {
            return actions.map { _ in StepResult(outcome: ActionOutcome(.finished(.failure), message: "no processor for plugin_type '\(first.pluginType)' in this version of fta")) }
        }
        if let notices = processor as? NoticeProcessor {
            let plan = notices.prepare(group: actions, worker: worker)
            switch admit(plan, of: actions, store: store, clock: clock) {
            case .success(let decisions): return notices.send(plan, decisions: decisions, worker: worker)
            case .failure(let unavailable): return unavailable.results
            }
        }
        return processor.run(group: actions, worker: worker)
    }

    /// The store's gate decisions for a prepared notice group; when the store cannot give them,
    /// the group's results say so.
    static func admit(_ plan: NoticeProcessor.Plan, of actions: [ClaimedAction], store: any QueueStore, clock: Clock) -> Result<[GateDecision], GateUnavailable> {
        do {
            return .success(try store.admit(plan.requests, now: clock.now()))
        } catch {
            return .failure(GateUnavailable(results: actions.map { _ in
                StepResult(outcome: .failure("notice gate unavailable: \(error)", type: .frameworkCode))
            }))
        }
    }

    struct GateUnavailable: Error {
        let results: [StepResult]
    }

    // MARK: 4. Record

    /// Resolves finished steps into row updates and writes them when enough are waiting or the
    /// flush interval has passed (or nothing is left in flight).
    func record(atLeast count: Int, timeout: Double) throws {
        let finished = queue.results(atLeast: count, timeout: timeout)
        let now = clock.now()
        let outcomes = Outcomes(creation: creation, executeNotice: settings.executeNotice)
        for var done in finished {
            // Resolved by the worker that ran the step, or here (a webhook's transfer thread
            // leaves it to this thread).
            var update = done.update ?? outcomes.update(for: done, now: now, random: random.unit())
            done.update = nil
            if let related = summaries.removeValue(forKey: done.action.id) { update.realStatusFor = related }
            pendingUpdates.append((update, done))
        }
        if pendingUpdates.count >= flushSize || elapsed - lastFlush >= flushInterval || queue.outstanding == 0 {
            try flush()
        }
    }

    private func flush() throws {
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
            report.count(update, plugin: plugin)
            if update.status == .blocked, let rule = update.exData["breaker_rule"]?.intValue {
                let stage = plugin == "notice" || plugin == "collect" ? "notice" : "execution"
                report.held["\(stage)|\(rule)", default: 0] += 1
                logger.warning("held by breaker rule \(rule)", metadata: ["action": "\(update.id)", "plugin": "\(plugin)", "stage": "\(stage)", "rule": "\(rule)"])
            }
            if let due = update.dueAt {
                if due <= clock.instant() { exhausted = false } else { nextKnownDue = min(nextKnownDue, due) }
            }
            // One line per action at info: built only when it will be written.
            guard logger.logLevel <= .info else { continue }
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
                logger.info("action will retry at \(TimeParser.iso(Int64(update.dueAt ?? Double(now)))): \(TextLimit.excerpt(message))", metadata: meta)
            case .failed:
                logger.info("action failed: \(TextLimit.excerpt(message))", metadata: meta)
            }
        }
        pendingUpdates.removeAll(keepingCapacity: true)
        lastFlush = elapsed
    }

    // MARK: 5. Renew

    /// Extends the leases of rows still held, every third of the lease.
    func renewLeases() throws {
        guard elapsed - lastRenew >= options.lease / 3, !held.isEmpty else { return }
        let lost = try store.renew(held.values.map { LeaseHold(id: $0.id, token: $0.leaseToken) }, until: clock.instant() + Double(lease))
        for id in lost {
            logger.warning("lease lost while the action was held; its outcome will be discarded", metadata: ["action": "\(id)"])
        }
        lastRenew = elapsed
    }

    // MARK: 6. Release

    /// The claimed actions not started: those still queued, and the webhooks rendered ahead and
    /// not yet sent, taken back from the transfer loop (their completions never run).
    private func takeBackUnstarted() -> [ClaimedAction] {
        var unstarted = queue.takeUnstarted()
        if let ids = transfers?.withdraw(), !ids.isEmpty {
            queue.withdrawn(ids.count)
            unstarted += ids.compactMap { held[$0] }
        }
        return unstarted
    }

    /// Stops claiming and gives back what has not started; what is in flight finishes.
    func release(reason: String) throws {
        stopping = true
        let unstarted = takeBackUnstarted()
        if !unstarted.isEmpty {
            try store.release(unstarted)
            for a in unstarted { held[a.id] = nil }
            report.released += unstarted.count
        }
        logger.info("\(reason): released \(unstarted.count) unstarted actions, finishing \(queue.outstanding) in flight")
    }
}

/// Turns a finished step into its row update (``OutcomeResolver``, execution notices to spawn, a
/// notice's result for its source action); safe on any thread.
struct Outcomes: Sendable {
    let creation: CreationStage?
    let executeNotice: ExecutionNotice.Mode

    /// The JSON columns are encoded here, so that a worker does it rather than the recording thread.
    func update(for done: WorkQueue.Done, now: Int64, random: Double) -> ActionUpdate {
        var update = OutcomeResolver.resolve(action: done.action, outcome: done.result.outcome, policy: done.result.policy, now: now,
                                             instant: done.finishedAt, random: random)
        if let creation {
            update.spawn = ExecutionNotice.drafts(action: done.action, update: update, directory: creation.directory, mode: executeNotice)
        }
        update.notifyResult = ExecutionNotice.result(of: done.action, update: update, now: now)
        update.keepNotifyResult = ExecutionNotice.isReported(done.action)
        update.encodeTexts()
        return update
    }
}
