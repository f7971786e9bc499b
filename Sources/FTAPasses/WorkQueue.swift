import Foundation
import FTAActions
import FTACore

/// Hands claimed actions to worker threads, in groups (one action, or notices merged into one
/// send), and collects their results. The recording thread pulls results in batches; unstarted
/// groups can be taken back when the pass must stop.
final class WorkQueue: @unchecked Sendable {
    struct Done {
        var action: ClaimedAction
        var result: StepResult
        var milliseconds: Int
        /// When the step ended (epoch seconds with fraction): a retry or a poll is due counted
        /// from here.
        var finishedAt: Double? = nil
        /// The row update, when the thread that finished the step resolved it.
        var update: ActionUpdate? = nil
    }

    // One lock, two conditions: workers wait for work, the recording thread waits for enough
    // results. (With one condition, every finished action woke every idle worker and the
    // recorder: a third of a pass's CPU went to threads waking up to find nothing to do.)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let workReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let resultsReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var pending: [[ClaimedAction]] = []
    private var head = 0
    private var pendingActions = 0
    private var done: [Done] = []
    private var running = 0
    /// Groups started and not completed (sent webhooks included); at most ``limit``.
    private var runningGroups = 0
    /// Worker threads that hold no group in a blocking step and will ask for the next one at
    /// once: a finished transfer wakes a waiting worker only when none is (one wake-up per
    /// response would cost more than the response).
    private var freeRunning = 0
    private var waiting = 0
    private let limit: Int
    private var closed = false
    /// How many results the recording thread waits for (`Int.max` when it is not waiting).
    private var recorderWants = Int.max

    /// `limit`: groups started and not completed at once (the pass's `--concurrency`, twice it
    /// when workers render webhooks ahead of the transfer loop).
    init(limit: Int = .max) {
        self.limit = max(1, limit)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(workReady, nil)
        pthread_cond_init(resultsReady, nil)
    }

    deinit {
        pthread_cond_destroy(workReady)
        pthread_cond_destroy(resultsReady)
        pthread_mutex_destroy(mutex)
        workReady.deallocate()
        resultsReady.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Actions queued and not started.
    var pendingCount: Int { locked { pendingActions } }

    /// Actions queued or running.
    var outstanding: Int { locked { pendingActions + running } }

    func push(_ groups: [[ClaimedAction]]) {
        guard !groups.isEmpty else { return }
        locked {
            if head > 1024 && head * 2 > pending.count {
                pending.removeFirst(head)
                head = 0
            }
            pending.append(contentsOf: groups)
            pendingActions += groups.reduce(0) { $0 + $1.count }
            if groups.count == 1 { pthread_cond_signal(workReady) } else { pthread_cond_broadcast(workReady) }
        }
    }

    /// Blocks until a group is available and fewer than ``limit`` run (returns it, now counted
    /// as running) or the queue closes. `again`: the caller took a group before and did not
    /// block on it (see ``blocking()``).
    func next(again: Bool = false) -> [ClaimedAction]? {
        locked {
            if again { freeRunning -= 1 }
            while (head == pending.count || runningGroups >= limit) && !closed {
                waiting += 1
                pthread_cond_wait(workReady, mutex)
                waiting -= 1
            }
            guard head < pending.count else { return nil }
            let g = pending[head]
            head += 1
            pendingActions -= g.count
            running += g.count
            runningGroups += 1
            freeRunning += 1
            return g
        }
    }

    /// The calling worker is about to block in a step (a script, a blocking send): finished
    /// groups must then wake another worker, and a group waiting now does so at once (after a
    /// round of finished webhooks the transfer loop wakes one worker, which may be this one).
    func blocking() {
        locked {
            freeRunning -= 1
            wakeWorkerIfIdle()
        }
    }

    /// The calling worker is back from its blocking step.
    func unblocked() { locked { freeRunning += 1 } }

    /// Results of one group (a sent webhook completes from the transfer thread). `wakeWorker`:
    /// whether the freed slot may wake a waiting worker; the transfer thread passes false and
    /// decides once per round (``wakeWorkerForTransfers(batch:transferable:)``).
    func complete(_ items: [Done], wakeWorker: Bool = true) {
        locked {
            running -= items.count
            runningGroups -= 1
            done.append(contentsOf: items)
            if done.count >= recorderWants || (running == 0 && head == pending.count) { pthread_cond_signal(resultsReady) }
            if wakeWorker { wakeWorkerIfIdle() }
        }
    }

    /// With the lock held: a group waits, a slot is free and every worker thread sleeps.
    private func wakeWorkerIfIdle() {
        if waiting > 0 && freeRunning == 0 && head < pending.count && runningGroups < limit { pthread_cond_signal(workReady) }
    }

    /// Called by the transfer thread after a round of finished transfers (whose completions did
    /// not wake a worker): wakes a sleeping worker when `batch` slots are free, or at once when
    /// the group next in line is one `transferable` says is not a transfer (a script, a
    /// notice), which must not wait for webhooks to finish. The woken worker prepares groups
    /// until no slot is free, so a worker wakes once per `batch` webhooks instead of once per
    /// webhook; the transfer loop holds the requests prepared ahead of its limit and starts one
    /// as soon as another finishes (docs/decisions.md, "Workers prepare webhooks ahead").
    func wakeWorkerForTransfers(batch: Int, transferable: ([ClaimedAction]) -> Bool) {
        locked {
            guard head < pending.count else { return }
            if limit - runningGroups >= batch || !transferable(pending[head]) { wakeWorkerIfIdle() }
        }
    }

    /// `count` single-action groups that were started (webhooks handed to the transfer loop) will
    /// not complete: they were taken back before they were sent.
    func withdrawn(_ count: Int) {
        guard count > 0 else { return }
        locked {
            running -= count
            runningGroups -= count
            if running == 0 && head == pending.count { pthread_cond_signal(resultsReady) }
        }
    }

    /// Takes back every action not yet started.
    func takeUnstarted() -> [ClaimedAction] {
        locked {
            let rest = pending[head...].flatMap { $0 }
            pending.removeAll()
            head = 0
            pendingActions = 0
            return rest
        }
    }

    /// Waits up to `timeout` seconds for at least `atLeast` results (or until nothing is left
    /// running), then returns all results collected so far.
    func results(atLeast: Int, timeout: Double) -> [Done] {
        locked {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let nanos = Int(now.tv_nsec) + Int(min(max(0, timeout), 3600) * 1e9)
            var deadline = timespec(tv_sec: now.tv_sec + nanos / 1_000_000_000, tv_nsec: nanos % 1_000_000_000)
            recorderWants = atLeast
            while done.count < atLeast && (running > 0 || head < pending.count) {
                if pthread_cond_timedwait(resultsReady, mutex, &deadline) == ETIMEDOUT { break }
            }
            recorderWants = Int.max
            let out = done
            done.removeAll(keepingCapacity: true)
            return out
        }
    }

    func close() {
        locked {
            closed = true
            pthread_cond_broadcast(workReady)
            pthread_cond_broadcast(resultsReady)
        }
    }
}
