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
