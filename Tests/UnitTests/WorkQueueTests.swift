import FTAActions
import FTACore
@testable import FTAPasses
import Foundation
import XCTest

/// The queue between the recording thread, the workers and the transfer thread: finished
/// webhooks wake a worker once per batch of free slots, and at once for a step that is not a
/// webhook.
final class WorkQueueTests: XCTestCase {
    private func action(_ id: Int64, plugin: String) -> [ClaimedAction] {
        var a = ClaimedAction(id: id, leaseToken: 1, createTime: 1_795_000_000)
        a.pluginType = plugin
        return [a]
    }

    private func done(_ group: [ClaimedAction]) -> [WorkQueue.Done] {
        group.map { WorkQueue.Done(action: $0, result: StepResult(outcome: .success("ok")), milliseconds: 0) }
    }

    private func isWebhook(_ g: [ClaimedAction]) -> Bool { g.first?.pluginType == "webhook" }

    /// A worker thread that takes every group it may start and keeps it (as a worker does with
    /// a webhook it hands to the transfer loop), then sleeps until woken.
    private func startWorker(_ queue: WorkQueue) -> LockedBox<[[ClaimedAction]]> {
        let got = LockedBox<[[ClaimedAction]]>([])
        let worker = Thread {
            var again = false
            while let g = queue.next(again: again) {
                again = true
                got.update { $0.append(g) }
            }
        }
        worker.start()
        return got
    }

    private func wait(until condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(10)
        while !condition() && Date() < deadline { usleep(10_000) }
    }

    func testFinishedTransfers_wakeAWorker_onlyOnceABatchOfSlotsIsFree() throws {
        let queue = WorkQueue(limit: 4)
        defer { queue.close() }
        queue.push((1...8).map { action($0, plugin: "webhook") })
        let got = startWorker(queue)
        wait { got.value.count == 4 }
        XCTAssertEqual(got.value.map { $0[0].id }, [1, 2, 3, 4], "as many as the limit, in queue order")
        // One transfer finishes: its slot alone does not wake the worker.
        queue.complete(done(got.value[0]), wakeWorker: false)
        queue.wakeWorkerForTransfers(batch: 2, transferable: isWebhook)
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(got.value.count, 4, "one free slot is less than a batch")
        // A second one does: the worker takes both slots in one wake-up.
        queue.complete(done(got.value[1]), wakeWorker: false)
        queue.wakeWorkerForTransfers(batch: 2, transferable: isWebhook)
        wait { got.value.count == 6 }
        XCTAssertEqual(got.value.map { $0[0].id }, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(queue.results(atLeast: 2, timeout: 1).map(\.action.id), [1, 2])
    }

    func testAStepThatIsNotATransfer_wakesAWorkerAtOnce() throws {
        let queue = WorkQueue(limit: 2)
        defer { queue.close() }
        queue.push([action(1, plugin: "webhook"), action(2, plugin: "webhook"), action(3, plugin: "script"), action(4, plugin: "webhook")])
        let got = startWorker(queue)
        wait { got.value.count == 2 }
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(got.value.count, 2)
        queue.complete(done(got.value[0]), wakeWorker: false)
        // One slot of a batch of 8 is free, but the script next in line must not wait for more.
        queue.wakeWorkerForTransfers(batch: 8, transferable: isWebhook)
        wait { got.value.count == 3 }
        XCTAssertEqual(got.value.map { $0[0].id }, [1, 2, 3])
    }

    func testAWorkerGoingIntoABlockingStep_wakesAnotherForTheNextOne() throws {
        let queue = WorkQueue(limit: 2)
        defer { queue.close() }
        queue.push([action(1, plugin: "webhook"), action(2, plugin: "webhook"), action(3, plugin: "script"), action(4, plugin: "script")])
        // Workers as a pass runs them: a webhook is handed on at once, a script holds its worker
        // (here until the test lets it go).
        let got = LockedBox<[[ClaimedAction]]>([])
        let scriptsMayEnd = DispatchSemaphore(value: 0)
        for _ in 0..<3 {
            Thread {
                var again = false
                while let g = queue.next(again: again) {
                    again = true
                    got.update { $0.append(g) }
                    guard !self.isWebhook(g) else { continue }
                    queue.blocking()
                    scriptsMayEnd.wait()
                    queue.unblocked()
                    queue.complete(self.done(g))
                }
            }.start()
        }
        wait { got.value.count == 2 }
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(got.value.map { $0[0].id }, [1, 2], "both slots hold the webhooks; the workers sleep")
        // Both webhooks finish in one round of the transfer loop, which wakes one worker for the
        // first script; that worker, blocking in it, must wake another for the second.
        for g in got.value { queue.complete(done(g), wakeWorker: false) }
        queue.wakeWorkerForTransfers(batch: 8, transferable: isWebhook)
        wait { got.value.count == 4 }
        XCTAssertEqual(Set(got.value.map { $0[0].id }), [1, 2, 3, 4], "the two scripts run side by side")
        scriptsMayEnd.signal()
        scriptsMayEnd.signal()
    }
}

/// A value shared between a test and a thread it starts.
private final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    func update(_ body: (inout T) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
