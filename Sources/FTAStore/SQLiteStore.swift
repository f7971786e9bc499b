import Foundation
import FTACore
import GRDB

/// The SQLite backend: one database file, many overlapping processes (docs/architecture.md).
/// It implements every store protocol; its extensions are grouped by concern (`ActionStore`
/// for the queue, `IngestStore`, `ConvergeStore`, `NoticeGateStore`, `SyncStore`, ...). All of
/// fta's SQL lives in this target.
package final class SQLiteStore: FTAStore, @unchecked Sendable {
    package let database: FTADatabase

    package init(database: FTADatabase) { self.database = database }

    /// Opens (creating if needed) the database at `path`.
    package convenience init(path: String, settings: DatabaseSettings = DatabaseSettings()) throws {
        self.init(database: try FTADatabase(path: path, settings: settings))
    }

    /// A pass's bookkeeping commits with `synchronous=NORMAL`, and its WAL checkpoints run on a
    /// second connection (docs/decisions.md).
    package func preparePass() throws {
        try database.useRelaxedDurability()
        try database.useBackgroundCheckpoints()
    }
}
