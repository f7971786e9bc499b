import Foundation
import FTAPostgres

/// What the PostgreSQL end-to-end tests need to see or do beside the binaries: the server's
/// own catalogues (locks, tables), the schema row, and a second session that holds a row or
/// a transaction open. The SQL lives here so that the test files read as behaviour.
package struct PostgresProbe {
    package let connection: PGConnection

    package init(_ url: String) throws { connection = try PGConnection(conninfo: url) }

    package func createDatabase(_ name: String) throws { try connection.execute("CREATE DATABASE \(name)") }
    package func dropDatabase(_ name: String) { _ = try? connection.execute("DROP DATABASE \(name) WITH (FORCE)") }

    /// Rows in the schema version table (1 once migrated).
    package func schemaRows() throws -> Int64 { try connection.execute("SELECT count(*) FROM fta_schema").scalarInt ?? -1 }
    package func tableCount(_ name: String) throws -> Int64 {
        try connection.execute("SELECT count(*) FROM pg_tables WHERE tablename = $1", [name]).scalarInt ?? -1
    }
    package func setSchemaVersion(_ version: Int) throws { try connection.execute("UPDATE fta_schema SET version = \(version)") }

    /// A login role with a password (superuser, for the authentication tests).
    package func ensureRole(_ name: String, password: String) throws {
        try connection.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(name)') THEN CREATE ROLE \(name) LOGIN PASSWORD '\(password)' SUPERUSER; END IF; END $$")
    }

    /// Row, relation and transaction locks held by other sessions of this database.
    package func locksOfOtherSessions() throws -> Int64 {
        try connection.execute("""
            SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE a.datname = current_database() AND a.pid != pg_backend_pid() AND l.locktype IN ('relation', 'tuple', 'transactionid')
            """).scalarInt ?? -1
    }

    /// Opens a transaction that locks one action row, until `rollback()`.
    package func lockAction(_ id: Int64) throws {
        try connection.execute("BEGIN")
        try connection.execute("SELECT 1 FROM action_instance WHERE id = $1 FOR UPDATE", [id])
    }

    /// Opens a transaction that skips actions 1...`upTo` by hand and stays open until
    /// `commit()`; returns its transaction id.
    package func holdSkipOfActions(upTo: Int64) throws -> Int64 {
        try connection.execute("BEGIN")
        try connection.execute("UPDATE action_instance SET ex_data = '{\"message\":\"held\"}', status = 'skipped', due_at = NULL WHERE id <= $1", [upTo])
        return try connection.execute("SELECT pg_current_xact_id()::text::bigint").scalarInt ?? 0
    }

    package func commit() { _ = try? connection.execute("COMMIT") }
    package func rollback() { _ = try? connection.execute("ROLLBACK") }
}
