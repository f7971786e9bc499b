import Foundation
import FTAPostgres
import GRDB

/// Which store the end-to-end tests run against: SQLite files (the default), or PostgreSQL
/// when `FTA_TEST_POSTGRES` names a server (`postgres://postgres@127.0.0.1:PORT/postgres`).
/// Then every test gets a database of its own, cloned from `fta_template`, and drops it after.
package enum TestBackend {
    /// The PostgreSQL server of this run (`FTA_TEST_POSTGRES`), or nil for SQLite files.
    package static let postgresServer: String? = {
        guard let url = ProcessInfo.processInfo.environment["FTA_TEST_POSTGRES"], !url.isEmpty else { return nil }
        return url
    }()

    /// Whether the tests run against PostgreSQL.
    package static var isPostgres: Bool { postgresServer != nil }

    /// Whether a `--db` value names PostgreSQL rather than a SQLite file (fta's own rule).
    package static func isPostgres(_ location: String) -> Bool { PostgresStore.handles(location) }

    /// `sql` written with SQLite's `?` placeholders, with PostgreSQL's `$1`, `$2`, ... instead
    /// (question marks inside quoted text or identifiers stay).
    package static func postgresPlaceholders(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 8)
        var n = 0
        var quote: Character?
        for ch in sql {
            if let q = quote {
                if ch == q { quote = nil }
                out.append(ch)
            } else if ch == "'" || ch == "\"" {
                quote = ch
                out.append(ch)
            } else if ch == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(ch)
            }
        }
        return out
    }

    /// GRDB argument values as PostgreSQL parameters (integers, reals, text, booleans, NULL).
    package static func postgresParameters(_ values: [DatabaseValueConvertible?]) throws -> [(any PGBindable)?] {
        try values.map { value in
            guard let value else { return nil }
            if let b = value as? Bool { return b }
            switch value.databaseValue.storage {
            case .null: return nil
            case .int64(let i): return i
            case .double(let d): return d
            case .string(let s): return s
            case .blob: throw TestDatabaseError(description: "a blob parameter has no PostgreSQL form in the tests")
            }
        }
    }

    /// A connection to the PostgreSQL database `url`.
    package static func connect(_ url: String) throws -> PGConnection {
        try PGConnection(conninfo: url)
    }
}

/// The per-test databases on the server of `FTA_TEST_POSTGRES`. The first one of the process
/// creates `fta_template` afresh and migrates it (by opening it with `PostgresStore`, as any
/// command would); each test's database is a copy of it, dropped after the test.
package final class PostgresTestDatabases: @unchecked Sendable {
    /// The name of the template database with the current schema.
    package static let templateName = "fta_template"

    private let server: String
    private let lock = NSLock()
    /// The connection to the server's own database that creates and drops the others.
    private var adminConnection: PGConnection?
    private var templateReady = false

    /// The one instance of this process, or nil when the tests run on SQLite.
    package static let shared: PostgresTestDatabases? = TestBackend.postgresServer.map(PostgresTestDatabases.init)

    private init(server: String) {
        self.server = server
    }

    /// Connects on first use, so a server that is not there fails the test that needs it.
    private func admin() throws -> PGConnection {
        if let adminConnection { return adminConnection }
        let c = try PGConnection(conninfo: server)
        adminConnection = c
        return c
    }

    /// `server` with its database name replaced by `name`.
    package func url(of name: String) throws -> String {
        guard var c = URLComponents(string: server) else {
            throw TestDatabaseError(description: "FTA_TEST_POSTGRES=\(server) is not a URL")
        }
        c.path = "/" + name
        guard let url = c.string else { throw TestDatabaseError(description: "cannot build a URL for database \(name)") }
        return url
    }

    /// Creates `fta_template` with the schema, once per process.
    private func ensureTemplate() throws {
        if templateReady { return }
        // Made afresh: a template left by an earlier run may hold an older schema.
        if !(try admin().execute("SELECT 1 FROM pg_database WHERE datname = $1", [Self.templateName]).isEmpty) {
            try admin().execute("DROP DATABASE \(Self.templateName) WITH (FORCE)")
        }
        try admin().execute("CREATE DATABASE \(Self.templateName)")
        do {
            // Opening it migrates it; the connection closes when the store goes away.
            _ = try PostgresStore(url: try url(of: Self.templateName))
        }
        templateReady = true
    }

    /// A new database with the schema, named `t_<random>`; returns its URL.
    package func create() throws -> String {
        lock.lock(); defer { lock.unlock() }
        try ensureTemplate()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try admin().execute("CREATE DATABASE \(name) TEMPLATE \(Self.templateName)")
        return try url(of: name)
    }

    /// Drops the database `url` names, closing any session still on it.
    package func drop(_ url: String) throws {
        lock.lock(); defer { lock.unlock() }
        guard let name = URLComponents(string: url)?.path.dropFirst(), name.hasPrefix("t_") else {
            throw TestDatabaseError(description: "not a test database: \(url)")
        }
        try admin().execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
