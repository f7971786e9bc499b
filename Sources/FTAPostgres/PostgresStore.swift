import Foundation
import FTACore

/// The PostgreSQL backend (docs/postgresql.md): the same store protocols as `SQLiteStore`, for
/// passes on several hosts against one database. Claims take rows with `FOR UPDATE SKIP
/// LOCKED`; every write for a claimed row is fenced by its lease token; leases and due times
/// are compared with the database server's clock when the command runs on the real clock, so
/// a host whose clock runs fast cannot take over leases that are still live. Its extensions are
/// grouped by protocol (`PGQueueStore`, `PGIntakeStore`, ...). All its SQL lives in this target.
package final class PostgresStore: FTAStore, @unchecked Sendable {
    package let db: PGConnection
    /// Compare due times and leases with the server's clock (a live command); a command with a
    /// fixed clock (`--now`) uses that instead, so tests and what-if runs stay reproducible.
    package let serverClock: Bool

    /// Whether `--db` names PostgreSQL rather than a SQLite file.
    package static func handles(_ location: String) -> Bool {
        let l = location.lowercased()
        return l.hasPrefix("postgres://") || l.hasPrefix("postgresql://")
    }

    package init(url: String, settings: DatabaseSettings = DatabaseSettings(), serverClock: Bool = true) throws {
        let lockTimeout = Int(max(1, settings.busyTimeout) * 1000)
        db = try PGConnection(conninfo: url, settings: [
            "SET lock_timeout = \(lockTimeout)",
            // A session of fta never waits inside a transaction; one that does is stuck.
            "SET idle_in_transaction_session_timeout = 300000",
            "SET application_name = 'fta'",
        ])
        self.serverClock = serverClock
        try PostgresStore.mapped { try PGSchema.migrate(self.db) }
    }

    /// A pass's bookkeeping commits without waiting for the disk, like SQLite's
    /// `synchronous=NORMAL` for passes (docs/decisions.md): a server crash can lose only recent
    /// claims or outcomes, never an action.
    package func preparePass() throws {
        try read { _ = try self.db.execute("SET synchronous_commit = off") }
    }

    /// `$n` for the clock instants compared with due times and leases: the command's own when
    /// it has a fixed clock, else NULL and the query uses the server's.
    func clockParam(_ now: Double) -> Double? { serverClock ? nil : now }

    /// The server's clock in SQL, unless the command's fixed instant is given as `$n`.
    static func nowSQL(_ n: Int) -> String { "coalesce($\(n)::float8, extract(epoch FROM clock_timestamp())::float8)" }

    /// Runs `body` in one transaction; database errors become environment errors (exit 3)
    /// naming the server without its password.
    func write<T>(_ body: () throws -> T) throws -> T {
        try PostgresStore.mapped { try self.db.transaction(body) }
    }

    /// Runs reads (one statement or several that need no common snapshot).
    func read<T>(_ body: () throws -> T) throws -> T {
        try PostgresStore.mapped(body)
    }

    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as PGError {
            switch e.sqlState {
            case "55P03": throw FTAError.environment("\(e.message) (lock timeout: another session holds the rows; see fta-tick status)")
            case "57014": throw FTAError.environment("\(e.message) (statement cancelled)")
            default: throw FTAError.environment(e.message)
            }
        }
    }
}
