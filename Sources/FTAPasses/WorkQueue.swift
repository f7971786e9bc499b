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
    }

    private let condition = NSCondition()
    private var pending: [[ClaimedAction]] = []
    private var head = 0
    private var pendingActions = 0
    private var done: [Done] = []
    private var running = 0
    private var closed = false

    /// Actions queued and not started.
    var pendingCount: Int {
        condition.lock(); defer { condition.unlock() }
        return pendingActions
    }

    /// Actions queued or running.
    var outstanding: Int {
        condition.lock(); defer { condition.unlock() }
        return pendingActions + running
    }

    func push(_ groups: [[ClaimedAction]]) {
        guard !groups.isEmpty else { return }
        condition.lock()
        if head > 1024 && head * 2 > pending.count {
            pending.removeFirst(head)
            head = 0
        }
        pending.append(contentsOf: groups)
        pendingActions += groups.reduce(0) { $0 + $1.count }
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until a group is available (returns it, now counted as running) or the queue closes.
    func next() -> [ClaimedAction]? {
        condition.lock(); defer { condition.unlock() }
        while head == pending.count && !closed { condition.wait() }
        guard head < pending.count else { return nil }
        let g = pending[head]
        head += 1
        pendingActions -= g.count
        running += g.count
        return g
    }

    func complete(_ items: [Done]) {
        condition.lock()
        running -= items.count
        done.append(contentsOf: items)
        condition.broadcast()
        condition.unlock()
    }

    /// Takes back every action not yet started.
    func takeUnstarted() -> [ClaimedAction] {
        condition.lock(); defer { condition.unlock() }
        let rest = pending[head...].flatMap { $0 }
        pending.removeAll()
        head = 0
        pendingActions = 0
        return rest
    }

    /// Waits up to `timeout` seconds for at least `atLeast` results (or until nothing is left
    /// running), then returns all results collected so far.
    func results(atLeast: Int, timeout: Double) -> [Done] {
        condition.lock(); defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while done.count < atLeast && (running > 0 || head < pending.count) {
            if !condition.wait(until: deadline) { break }
        }
        let out = done
        done.removeAll(keepingCapacity: true)
        return out
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
