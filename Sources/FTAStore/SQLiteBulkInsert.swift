import Foundation
import FTACore

/// Enqueue's inserts into SQLite (docs/decisions.md, "Enqueue speed"): a 32 MiB page cache, WAL
/// checkpoints run by a second connection on its own thread so the inserting thread never stops
/// to copy pages, and every few batches the inserter waits for the checkpointer, because SQLite
/// starts the WAL file over only when a transaction begins with every frame checkpointed
/// (otherwise the WAL would grow by the whole input; BENCHMARKS.md).
final class SQLiteBulkInsert: BulkInsert {
    let store: SQLiteStore
    let checkpointer: Checkpointer?
    var batches = 0
    /// Every this many batches the writer lets the checkpointer catch up.
    static let walRestartBatches = 4

    init(store: SQLiteStore) throws {
        self.store = store
        try store.database.useLargeCache()
        // Checkpoints from a second connection; if it cannot open, the writer checkpoints as usual.
        checkpointer = (try? FTADatabase(path: store.database.path)).map { Checkpointer(database: $0) }
        if checkpointer != nil { try store.database.setAutomaticCheckpoint(pages: 0) }
    }

    func insert(_ rows: PackedActions, now: Int64) throws -> [InsertResult] {
        batches += 1
        if batches % SQLiteBulkInsert.walRestartBatches == 0 { checkpointer?.waitIdle() }
        let results = try store.insert(rows, now: now)
        checkpointer?.request()
        return results
    }

    func finish() {
        checkpointer?.finish()
        try? store.database.setAutomaticCheckpoint(pages: 1000)
    }
}

extension SQLiteStore {
    package func beginBulkInsert() throws -> any BulkInsert { try SQLiteBulkInsert(store: self) }
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

