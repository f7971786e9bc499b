import Foundation
import GRDB

/// The SQLite backend: one database file, many overlapping processes (docs/architecture.md).
/// It implements every store protocol; its extensions are grouped by concern (`ActionStore`
/// for the queue, `IngestStore`, `ConvergeStore`, `NoticeGateStore`, `SyncStore`, ...). All of
/// fta's SQL lives in this target.
public final class SQLiteStore: FTAStore, @unchecked Sendable {
    public let database: FTADatabase

    public init(database: FTADatabase) { self.database = database }

    /// Opens (creating if needed) the database at `path`.
    public convenience init(path: String, settings: DatabaseSettings = DatabaseSettings()) throws {
        self.init(database: try FTADatabase(path: path, settings: settings))
    }

    /// A pass's bookkeeping commits with `synchronous=NORMAL` (docs/decisions.md).
    public func preparePass() throws { try database.useRelaxedDurability() }
}
