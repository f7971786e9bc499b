import Foundation
import FTAPostgres
import GRDB

/// Changes a database the way a person with `sqlite3`/`psql`, an older fta or a failing disk
/// would, so tests can check what fta does with rows it did not write itself. `path` is a
/// SQLite file or a `postgres://` URL; the statements are written for SQLite (`?`
/// placeholders) in the SQL both backends share, and run on PostgreSQL with `$n` ones.
package enum DatabaseTamper {
    /// What a person must add to an UPDATE of exported columns so the export sees it
    /// (docs/schema.md, "Change numbering"): a number above every other, distinct per row.
    /// (PostgreSQL's trigger numbers the change itself and overrides it.)
    package static let numberTheChange = "change_seq = (SELECT coalesce(max(change_seq), 0) FROM action_instance) + id"

    /// Runs `sql` on the database outside fta, in one transaction.
    package static func execute(_ path: String, _ sql: String, _ arguments: [DatabaseValueConvertible?] = []) throws {
        if TestBackend.isPostgres(path) {
            let c = try TestBackend.connect(path)
            let parameters = try TestBackend.postgresParameters(arguments)
            try c.transaction { _ = try c.execute(TestBackend.postgresPlaceholders(sql), parameters) }
            return
        }
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.write { try $0.execute(sql: sql, arguments: StatementArguments(arguments)) }
    }

    /// One value read outside fta, as text (PostgreSQL's booleans as `t`/`f`).
    package static func scalar(_ path: String, _ sql: String) throws -> String? {
        if TestBackend.isPostgres(path) {
            return try TestBackend.connect(path).execute(TestBackend.postgresPlaceholders(sql)).scalarString
        }
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try String.fetchOne($0, sql: sql) }
    }

    /// Replaces an action's stored `action_config` text.
    package static func setActionConfig(_ path: String, id: Int64, _ text: String) throws {
        try execute(path, "UPDATE \(detailTable(path)) SET action_config = ? WHERE id = ?", [text, id])
    }

    /// Replaces an action's stored `inputs` text.
    package static func setInputs(_ path: String, id: Int64, _ text: String) throws {
        if TestBackend.isPostgres(path) {
            try execute(path, "UPDATE action_instance SET inputs = ?, \(numberTheChange) WHERE id = ?", [text, id])
            return
        }
        // The change is numbered on the action row, then the detail changes (docs/schema.md).
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.write { db in
            try db.execute(sql: "UPDATE action_instance SET \(numberTheChange) WHERE id = ?", arguments: [id])
            try db.execute(sql: "UPDATE action_detail SET inputs = ? WHERE id = ?", arguments: [text, id])
        }
    }

    /// The table holding an action's creation-time JSON: its own on SQLite, the action row on
    /// PostgreSQL.
    static func detailTable(_ path: String) -> String {
        TestBackend.isPostgres(path) ? "action_instance" : "action_detail"
    }

    /// Replaces an action's stored `outputs` text.
    package static func setOutputs(_ path: String, id: Int64, _ text: String) throws {
        try execute(path, "UPDATE action_instance SET outputs = ?, \(numberTheChange) WHERE id = ?", [text, id])
    }

    /// Sets the status of the rows `ids` and ends them `duration` seconds after their creation.
    package static func finish(_ path: String, ids: [Int64], status: String, after duration: Int64) throws {
        guard !ids.isEmpty else { return }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        try execute(path, "UPDATE action_instance SET status = ?, end_time = create_time + ?, \(numberTheChange) WHERE id IN (\(placeholders))",
                    [status, duration] + ids.map { $0 as DatabaseValueConvertible? })
    }

    /// Spreads statuses by id modulo 5, as other commands or a person would: 1 success,
    /// 2 failure, 3 running, 4 skipped, each updated 30 s after creation, the finished ones
    /// ending then; rows whose id is a multiple of 5 are left as they are.
    package static func spreadStatuses(_ path: String) throws {
        try execute(path, """
            UPDATE action_instance SET status = CASE id % 5 WHEN 1 THEN 'success' WHEN 2 THEN 'failure' WHEN 3 THEN 'running' WHEN 4 THEN 'skipped' ELSE status END,
                end_time = CASE WHEN id % 5 IN (1, 2, 4) THEN create_time + 30 END, update_time = create_time + 30, \(numberTheChange)
            WHERE id % 5 != 0
            """)
    }

    /// Leaves rows as a pass that claimed them and died would: leased by `dead` until
    /// `expiry` (their due time kept), with the fencing token moved on. All rows, or only `ids`.
    /// `movingDueAt`: as an fta before schema v14 left them, with `due_at` at the expiry too.
    package static func leaseToDeadWorker(_ path: String, ids: [Int64]? = nil, until expiry: Int64, movingDueAt: Bool = false) throws {
        let sql = "UPDATE action_instance SET lease_owner = 'dead', lease_expires_at = ?, lease_token = lease_token + 1"
            + (movingDueAt ? ", due_at = ?" : "")
        let values: [DatabaseValueConvertible?] = movingDueAt ? [expiry, expiry] : [expiry]
        guard let ids else {
            try execute(path, sql, values)
            return
        }
        guard !ids.isEmpty else { return }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        try execute(path, sql + " WHERE id IN (\(placeholders))", values + ids.map { $0 as DatabaseValueConvertible? })
    }

    /// Marks the database as written by a newer fta: SQLite's `user_version`, PostgreSQL's
    /// `fta_schema.version`.
    package static func setSchemaVersion(_ path: String, _ version: Int) throws {
        if TestBackend.isPostgres(path) {
            try execute(path, "UPDATE fta_schema SET version = ?", [version])
            return
        }
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA user_version = \(version)") }
    }

    /// The file's size once its WAL is checkpointed into it. SQLite files only.
    package static func checkpointedSize(_ path: String) throws -> Int {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Overwrites `count` bytes at `offset` with garbage (a failing disk), after a checkpoint
    /// so the pages are in the main file. SQLite files only.
    package static func scribble(_ path: String, offset: Int, count: Int) throws {
        guard !TestBackend.isPostgres(path) else {
            throw TestDatabaseError(description: "scribble overwrites a SQLite file; \(path) is a PostgreSQL database")
        }
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        var bytes = [UInt8](repeating: 0, count: count)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 131 &+ 7) }
        handle.write(Data(bytes))
    }
}
