import CSQLiteSetup
import Foundation
import FTACore
import GRDB
import GRDBSQLite

/// The SQLite file every command works on: opened in WAL mode with a busy timeout, schema
/// migrated on first use. All SQL in fta lives under `Store/`.
package final class FTADatabase: @unchecked Sendable {
    package let path: String
    let queue: DatabaseQueue
    /// Checkpoints on a second connection while a pass runs (``useBackgroundCheckpoints()``).
    private var walCheckpoints: WALHookCheckpoints?

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    package init(path: String, settings: DatabaseSettings = DatabaseSettings()) throws {
        _ = FTADatabase.sqliteSetup
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(settings.busyTimeout)
        config.label = "fta"
        let synchronous = settings.synchronous.uppercased()
        config.prepareDatabase { db in
            // Action rows are ~1 KB: 8 KiB pages split less often than 4 KiB ones without making
            // each touched index page costly to rewrite (measured in BENCHMARKS.md; new files only).
            try db.execute(sql: "PRAGMA page_size = 8192")
            // New files give freed pages back to the file system on request (`fta-tick purge`);
            // an older file is converted by its first purge.
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // 8 MiB of page cache; enqueue raises it (``useLargeCache()``).
            try db.execute(sql: "PRAGMA cache_size = -8192")
            // Statement journals and sorter spills stay in memory: a claim or record batch
            // otherwise writes ~20 KB of temporary file per action (measured in BENCHMARKS.md).
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        do {
            let dir = (path as NSString).deletingLastPathComponent
            var isDir: ObjCBool = false
            if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
                throw FTAError.environment("database \(path): folder \(dir) does not exist")
            }
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                throw FTAError.environment("database \(path): is a folder, not a database file")
            }
            if let found = CorruptionMark.read(databasePath: path) {
                throw FTAError.environment("database \(path): found corrupt (\(found)); restore a backup or recover it "
                                           + "(sqlite3 \(path) .recover), then delete \(CorruptionMark.path(for: path))")
            }
            queue = try FTADatabase.open(path: path, configuration: config, patience: settings.busyTimeout)
            #if DEBUG
            try queue.inDatabase { try Schema.installChangeGuard($0) }
            #endif
        } catch let error as FTAError {
            throw error
        } catch {
            throw FTADatabase.describe(error, path: path)
        }
    }

    /// Opens the file and migrates it. Two commands that create a new file at the same moment
    /// can meet SQLITE_BUSY where SQLite does not wait on the busy handler (switching a fresh
    /// file to WAL): the open is then tried again for up to `patience` seconds.
    static func open(path: String, configuration: Configuration, patience: Double) throws -> DatabaseQueue {
        let giveUp = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, patience) * 1e9)
        while true {
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                try queue.writeWithoutTransaction { db in try Schema.migrate(db, path: path) }
                return queue
            } catch let e as DatabaseError where (e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED)
                        && DispatchTime.now().uptimeNanoseconds < giveUp {
                usleep(UInt32.random(in: 5_000...25_000))
            }
        }
    }

    /// Made once, before this process opens its first connection (see CSQLiteSetup.h).
    static let sqliteSetup: Int32 = fta_sqlite_setup()

    /// Maps SQLite failures to the environment error users see (exit 3). Corruption is also
    /// written down next to the file (``CorruptionMark``), so every later command refuses the
    /// file too, not only those that happen to read the damaged pages.
    static func describe(_ error: Error, path: String) -> FTAError {
        if let e = error as? DatabaseError {
            // (A file that is not a database at all fails on every open already.)
            if e.resultCode == .SQLITE_CORRUPT { CorruptionMark.write(databasePath: path, what: "database disk image is malformed") }
            if e.resultCode == .SQLITE_CANTOPEN || e.resultCode == .SQLITE_READONLY, FTADatabase.isReadOnlyFileSystem(path) {
                return .environment("database \(path): the file system is read-only (fta writes the database, its -wal and -shm files)")
            }
            switch e.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return .environment("database \(path): locked by another process past the busy timeout")
            case .SQLITE_NOTADB:
                return .environment("database \(path): file is not a database (corrupt or another format)")
            case .SQLITE_CORRUPT:
                return .environment("database \(path): database disk image is malformed")
            case .SQLITE_CANTOPEN:
                return .environment("database \(path): cannot open (missing folder or no permission)")
            case .SQLITE_READONLY:
                return .environment("database \(path): read-only (no write permission on the file or its folder)")
            case .SQLITE_FULL:
                return .environment("database \(path): disk full")
            default:
                return .environment("database \(path): \(e.message ?? "\(e.resultCode)")")
            }
        }
        if let e = error as? FTAError { return e }
        return .environment("database \(path): \(error)")
    }

    /// Whether the file (or, when it does not exist, its folder) is on a read-only mount.
    static func isReadOnlyFileSystem(_ path: String) -> Bool {
        var st = statvfs()
        let dir = (path as NSString).deletingLastPathComponent
        let target = FileManager.default.fileExists(atPath: path) ? path : (dir.isEmpty ? "." : dir)
        guard statvfs(target, &st) == 0 else { return false }
        return st.f_flag & UInt(ST_RDONLY) != 0
    }

    /// How hard commits wait for the disk. Input (enqueue, operator commands) is committed with
    /// the configured `synchronous` (FULL by default: an acknowledged enqueue survives power
    /// loss). A pass's own bookkeeping uses NORMAL: power loss can then only drop recent claims
    /// (leases vanish) or outcomes (the action runs again, as after a crash), never an action.
    package func useRelaxedDurability() throws { try execute("PRAGMA synchronous = NORMAL") }

    /// 32 MiB of page cache, so the index pages a large enqueue keeps touching stay in memory.
    /// (A pass keeps the default: it reads each row once, and a big cache would only grow its RSS.)
    package func useLargeCache() throws { try execute("PRAGMA cache_size = -32768") }

    /// Turns this connection's automatic WAL checkpoints off (a bulk writer whose checkpoints
    /// another connection runs) or back on (`pages` = 1000, SQLite's default).
    package func setAutomaticCheckpoint(pages: Int) throws { try execute("PRAGMA wal_autocheckpoint = \(pages)") }

    /// While a pass runs, its commits leave the WAL checkpoints to a second connection on its own
    /// thread (``WALHookCheckpoints``): asked for every `every` frames (8 MiB of 8 KiB pages, as
    /// often as SQLite's automatic checkpoint), waited for at `limit` frames (64 MiB of WAL).
    /// Without a second connection the automatic checkpoint stays.
    package func useBackgroundCheckpoints(every: Int32 = 1000, limit: Int32 = 8000) throws {
        guard walCheckpoints == nil, let second = try? FTADatabase(path: path) else { return }
        let hook = WALHookCheckpoints(checkpointer: Checkpointer(database: second), every: every, limit: limit)
        try withoutTransaction { db in
            guard let connection = db.sqliteConnection else { return }
            hook.install(on: connection)
            walCheckpoints = hook
        }
    }

    /// Back to SQLite's automatic checkpoint (which replaces the hook), after the last requested
    /// checkpoint has run.
    package func stopBackgroundCheckpoints() {
        guard let hook = walCheckpoints else { return }
        try? withoutTransaction { db in _ = sqlite3_wal_autocheckpoint(db.sqliteConnection, 1000) }
        hook.checkpointer.finish()
        walCheckpoints = nil
    }

    deinit { walCheckpoints?.checkpointer.finish() }

    /// Copies committed WAL frames into the database file without blocking writers (PASSIVE).
    package func checkpoint() throws { try execute("PRAGMA wal_checkpoint(PASSIVE)") }

    /// Runs one statement outside any transaction (pragmas).
    private func execute(_ sql: String) throws {
        try withoutTransaction { db in _ = try Row.fetchAll(db, sql: sql) }
    }

    /// Runs `body`, turning SQLite failures into the environment error users see (an
    /// ``FTAError`` thrown by `body` passes unchanged).
    private func describingErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FTAError {
            throw error
        } catch {
            throw FTADatabase.describe(error, path: path)
        }
    }

    /// Runs `body` in an IMMEDIATE write transaction (takes the write lock up front, so two
    /// passes queue on the busy timeout instead of failing on lock upgrade).
    package func write<T>(_ body: (Database) throws -> T) throws -> T {
        try describingErrors {
            try queue.writeWithoutTransaction { db in
                var result: Result<T, Error> = .failure(FTAError.environment("database \(path): transaction did not run"))
                try db.inTransaction(.immediate) {
                    result = .success(try body(db))
                    return .commit
                }
                return try result.get()
            }
        }
    }

    /// Runs `body` outside any transaction (pragmas, vacuum, checkpoints).
    package func withoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try describingErrors { try queue.writeWithoutTransaction(body) }
    }

    /// Runs `body` in a read transaction (a consistent snapshot; never blocks writers in WAL).
    package func read<T>(_ body: (Database) throws -> T) throws -> T {
        try describingErrors { try queue.read(body) }
    }
}
