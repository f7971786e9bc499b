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
    /// Every this many batches the writer lets the checkpointer catch up (see `run`).
    static let walRestartBatches = 4

    public init(store: ActionStore, registry: ProcessorRegistry, clock: Clock) {
        self.store = store
        self.registry = registry
        self.clock = clock
    }

    /// One parsed batch: rows packed for insertion with their line numbers, and the lines
    /// refused in between.
    struct Batch {
        var rows = PackedActions()
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
        private var running = false
        private var closed = false
        private let done = DispatchSemaphore(value: 0)

        init(database: FTADatabase) {
            let thread = Thread { [self] in
                while true {
                    condition.lock()
                    while !pending && !closed { condition.wait() }
                    let run = pending
                    pending = false
                    running = run
                    let stop = closed
                    condition.unlock()
                    if run { try? database.checkpoint() }
                    condition.lock()
                    running = false
                    condition.broadcast()
                    condition.unlock()
                    if stop && !run { break }
                }
                done.signal()
            }
            thread.start()
        }

        func request() {
            condition.lock()
            pending = true
            condition.broadcast()
            condition.unlock()
        }

        /// Blocks until no checkpoint is asked for or running.
        func waitIdle() {
            condition.lock()
            while pending || running { condition.wait() }
            condition.unlock()
        }

        func finish() {
            condition.lock()
            closed = true
            condition.broadcast()
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
            var batch = Batch(rows: PackedActions(reservingRows: size))
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
                    // Packed here, so the writing thread neither copies nor frees the strings.
                    batch.rows.append(draft)
                    batch.lines.append(reader.lineNumber)
                case .failure(let error)?:
                    batch.rejected.append(Rejection(line: reader.lineNumber, reason: "\(error)"))
                }
                if batch.rows.count >= size {
                    handoff.put(batch)
                    batch = Batch(rows: PackedActions(reservingRows: size))
                }
            }
            batch.last = true
            handoff.put(batch)
        }
        producer.stackSize = 1 << 20
        producer.start()

        var report = Report()
        var failure: Error?
        var batches = 0
        while true {
            // Never closed: the parsing thread's last batch says so.
            guard let batch = handoff.take() else { break }
            if failure == nil {
                for r in batch.rejected {
                    report.rejected.append(r)
                    onRejected(r)
                }
                do {
                    if !batch.rows.isEmpty {
                        batches += 1
                        // SQLite starts the WAL over only when a transaction begins with every
                        // frame checkpointed, which never happens while the checkpointer trails
                        // the writer. Waiting for it every few batches keeps the WAL at a few
                        // batches instead of growing by the whole input (BENCHMARKS.md).
                        if batches % EnqueueRun.walRestartBatches == 0 { checkpointer?.waitIdle() }
                        let results = try store.insert(batch.rows, now: clock.now())
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
