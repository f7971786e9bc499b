import Foundation
import GRDB

/// Changes a database the way a person with `sqlite3`, an older fta or a failing disk would, so
/// tests can check what fta does with rows it did not write itself.
package enum DatabaseTamper {
    /// Runs `sql` on the file outside fta.
    package static func execute(_ path: String, _ sql: String, _ arguments: [DatabaseValueConvertible?] = []) throws {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.write { try $0.execute(sql: sql, arguments: StatementArguments(arguments)) }
    }

    /// One value read outside fta.
    package static func scalar(_ path: String, _ sql: String) throws -> String? {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try String.fetchOne($0, sql: sql) }
    }

    /// Replaces an action's stored `action_config` text.
    package static func setActionConfig(_ path: String, id: Int64, _ text: String) throws {
        try execute(path, "UPDATE action_instance SET action_config = ? WHERE id = ?", [text, id])
    }

    /// Replaces an action's stored `outputs` text.
    package static func setOutputs(_ path: String, id: Int64, _ text: String) throws {
        try execute(path, "UPDATE action_instance SET outputs = ? WHERE id = ?", [text, id])
    }

    /// Sets the status of the rows `ids` and ends them `duration` seconds after their creation.
    package static func finish(_ path: String, ids: [Int64], status: String, after duration: Int64) throws {
        guard !ids.isEmpty else { return }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        try execute(path, "UPDATE action_instance SET status = ?, end_time = create_time + ? WHERE id IN (\(placeholders))",
                    [status, duration] + ids.map { $0 as DatabaseValueConvertible? })
    }

    /// Spreads statuses by id modulo 5, as other commands or a person would: 1 success,
    /// 2 failure, 3 running, 4 skipped, each updated 30 s after creation, the finished ones
    /// ending then; rows whose id is a multiple of 5 are left as they are.
    package static func spreadStatuses(_ path: String) throws {
        try execute(path, """
            UPDATE action_instance SET status = CASE id % 5 WHEN 1 THEN 'success' WHEN 2 THEN 'failure' WHEN 3 THEN 'running' WHEN 4 THEN 'skipped' ELSE status END,
                end_time = CASE WHEN id % 5 IN (1, 2, 4) THEN create_time + 30 END, update_time = create_time + 30
            WHERE id % 5 != 0
            """)
    }

    /// Leaves rows as a pass that claimed them and died would: leased by `dead` until
    /// `expiry`, due then, with the fencing token moved on. All rows, or only `ids`.
    package static func leaseToDeadWorker(_ path: String, ids: [Int64]? = nil, until expiry: Int64) throws {
        let sql = "UPDATE action_instance SET lease_owner = 'dead', lease_expires_at = ?, due_at = ?, lease_token = lease_token + 1"
        guard let ids else {
            try execute(path, sql, [expiry, expiry])
            return
        }
        guard !ids.isEmpty else { return }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        try execute(path, sql + " WHERE id IN (\(placeholders))", [expiry, expiry] + ids.map { $0 as DatabaseValueConvertible? })
    }

    /// Marks the file as written by a newer fta.
    package static func setSchemaVersion(_ path: String, _ version: Int) throws {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA user_version = \(version)") }
    }

    /// Overwrites `count` bytes at `offset` with garbage (a failing disk), after a checkpoint
    /// so the pages are in the main file.
    package static func scribble(_ path: String, offset: Int, count: Int) throws {
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
