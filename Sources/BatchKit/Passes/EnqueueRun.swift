import Foundation
import Logging

/// `fta-tick enqueue`: JSON lines in, rows out. A bad line is reported with its number and
/// reason and the good lines are still stored (in transactions of `batchSize` lines).
///
/// Reading and parsing run on a second thread while this one writes the previous batch, so
/// the two halves of the work use both cores.
public struct EnqueueRun {
    public struct Rejection: Sendable, Equatable {
        public var line: Int
        public var reason: String
    }

    public struct Report: Sendable {
        public var stored: [(line: Int, id: Int64)] = []
        public var duplicates: [(line: Int, id: Int64)] = []
        public var rejected: [Rejection] = []
    }

    let store: ActionStore
    let registry: ProcessorRegistry
    let clock: Clock
    public var batchSize = 5_000

    public init(store: ActionStore, registry: ProcessorRegistry, clock: Clock) {
        self.store = store
        self.registry = registry
        self.clock = clock
    }

    /// One parsed batch: drafts with their line numbers, and the lines refused in between.
    struct Batch {
        var drafts: [ActionDraft] = []
        var lines: [Int] = []
        var rejected: [Rejection] = []
        var error: Error?
        var last = false
    }

    /// Runs WAL checkpoints on its own connection and thread, so the inserting thread never
    /// stops to copy pages into the database file.
    final class Checkpointer: @unchecked Sendable {
        private let condition = NSCondition()
        private var pending = false
        private var closed = false
        private let done = DispatchSemaphore(value: 0)

        init(database: FTADatabase) {
            let thread = Thread { [self] in
                while true {
                    condition.lock()
                    while !pending && !closed { condition.wait() }
                    let run = pending
                    pending = false
                    let stop = closed
                    condition.unlock()
                    if run { try? database.checkpoint() }
                    if stop && !run { break }
                }
                done.signal()
            }
            thread.start()
        }

        func request() {
            condition.lock()
            pending = true
            condition.signal()
            condition.unlock()
        }

        func finish() {
            condition.lock()
            closed = true
            condition.signal()
            condition.unlock()
            done.wait()
        }
    }

    /// Reads every line of `reader`; `onRejected` is called for each refused line, in order.
    public func run(_ reader: LineReader, onRejected: (Rejection) -> Void = { _ in }) throws -> Report {
        try store.database.useLargeCache()
        // Checkpoints from a second connection; if it cannot open, the writer checkpoints as usual.
        let checkpointer = (try? FTADatabase(path: store.database.path)).map { Checkpointer(database: $0) }
        if checkpointer != nil { try store.database.setAutomaticCheckpoint(pages: 0) }
        defer {
            checkpointer?.finish()
            try? store.database.setAutomaticCheckpoint(pages: 1000)
        }
        // A two-slot hand-over between the parsing thread and the writing thread.
        let handoff = BoundedQueue<Batch>(capacity: 2)
        let size = batchSize
        let parser = ActionDraftParser(validator: registry.validate)
        let producer = Thread {
            var batch = Batch()
            batch.drafts.reserveCapacity(size)
            while true {
                let parsed: Result<ActionDraft, Error>??
                parsed = reader.next { bytes -> Result<ActionDraft, Error>? in
                    // Blank lines are skipped.
                    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
                    do { return .success(try parser.parse(bytes: bytes)) } catch { return .failure(error) }
                }
                guard let item = parsed else { break }
                switch item {
                case .none: continue
                case .success(let draft)?:
                    batch.drafts.append(draft)
                    batch.lines.append(reader.lineNumber)
                case .failure(let error)?:
                    batch.rejected.append(Rejection(line: reader.lineNumber, reason: "\(error)"))
                }
                if batch.drafts.count >= size {
                    handoff.put(batch)
                    batch = Batch()
                    batch.drafts.reserveCapacity(size)
                }
            }
            batch.last = true
            handoff.put(batch)
        }
        producer.stackSize = 1 << 20
        producer.start()

        var report = Report()
        var failure: Error?
        while true {
            // Never closed: the parsing thread's last batch says so.
            guard let batch = handoff.take() else { break }
            if failure == nil {
                for r in batch.rejected {
                    report.rejected.append(r)
                    onRejected(r)
                }
                do {
                    if !batch.drafts.isEmpty {
                        let results = try store.insert(batch.drafts, now: clock.now())
                        checkpointer?.request()
                        for (line, r) in zip(batch.lines, results) {
                            switch r {
                            case .stored(let id): report.stored.append((line, id))
                            case .duplicate(let id): report.duplicates.append((line, id))
                            }
                        }
                    }
                } catch {
                    // Keep draining so the parsing thread can finish; report the first error.
                    failure = error
                }
            }
            if batch.last { break }
        }
        if let failure { throw failure }
        return report
    }
}
