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
