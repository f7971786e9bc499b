// XCTest is there when tests are built; a release build of the package compiles this target
// without it (nothing in the executables uses it).
#if canImport(XCTest)
import Foundation
import FTACore
import XCTest

/// A test with a temporary folder of its own, made before each test and removed after it.
open class TemporaryDirectoryCase: XCTestCase {
    /// This test's own folder.
    package private(set) var dir: TemporaryDirectory!

    open override func setUpWithError() throws {
        try super.setUpWithError()
        dir = try TemporaryDirectory()
        // Registered first, so it runs last: after whatever else the test set up has stopped.
        addTeardownBlock { [unowned self] in self.dir = nil }
    }
}

/// The base of the end-to-end tests: a temporary folder per test with the database in it, an
/// optional config file, the test clock, servers stopped after the test, and runners for the
/// four executables that add `--db`, `--config` and `--now` and check the exit status.
///
/// With `FTA_TEST_POSTGRES` set to a server's URL the database is a PostgreSQL database of the
/// test's own instead (`TestBackend`, `PostgresTestDatabases`): made from the migrated
/// `fta_template` before the test and dropped after it. Tests read and change it through
/// `database` and `DatabaseTamper` the same way on both backends; tests about the SQLite file
/// itself skip on PostgreSQL (`skipOnPostgres()`).
open class EndToEndCase: TemporaryDirectoryCase {
    /// The config file the runners pass as `--config`; nil passes none.
    package var config: String?

    /// This test's PostgreSQL database, when the tests run on PostgreSQL.
    private var postgresDatabase: String?

    /// Whether this run's database is PostgreSQL (`FTA_TEST_POSTGRES` is set).
    package var isPostgres: Bool { TestBackend.isPostgres }

    /// The database the runners pass as `--db`: `fta.db` in `dir`, or on PostgreSQL the URL of
    /// the test's own database (`postgres://.../t_<random>`).
    package var db: String { postgresDatabase ?? dir.file("fta.db") }
    /// The test clock: the `--now` the runners pass unless told otherwise (2026-11-18T11:06:40Z).
    open var t0: Int64 { 1_795_000_000 }
    /// The database, read as typed rows.
    package var database: TestDatabase { TestDatabase(path: db) }

    open override func setUpWithError() throws {
        try super.setUpWithError()
        config = nil
        postgresDatabase = nil
        if let databases = PostgresTestDatabases.shared {
            let url = try databases.create()
            postgresDatabase = url
            // Registered before anything the test starts, so it runs after those have stopped.
            addTeardownBlock { [unowned self] in
                do { try databases.drop(url) } catch { XCTFail("dropping the test database \(url): \(error)") }
                self.postgresDatabase = nil
            }
        }
    }

    /// Skips a test about the SQLite file itself (corrupt pages, file system errors, WAL, the
    /// path of a file) when the run is on PostgreSQL.
    package func skipOnPostgres(file: StaticString = #filePath, line: UInt = #line) throws {
        if isPostgres { throw XCTSkip("SQLite file behaviour", file: file, line: line) }
    }

    // MARK: Servers, each stopped after the test

    /// The Python HTTP receiver (plain HTTP, or HTTPS with `tls`).
    package func startReceiver(tls: (cert: String, key: String)? = nil) throws -> Receiver {
        let receiver = try Receiver(tls: tls)
        addTeardownBlock { receiver.stop() }
        return receiver
    }

    /// The aiosmtpd server, logging each message to `log` in `dir`.
    package func startSMTP(log: String = "mail.jsonl", auth: (user: String, password: String)? = nil) throws -> SMTPServer {
        let smtp = try SMTPServer(log: dir.file(log), auth: auth)
        addTeardownBlock { smtp.stop() }
        return smtp
    }

    /// A real redis-server on a free port.
    package func startRedis() throws -> RedisServer {
        let redis = try RedisServer()
        addTeardownBlock { redis.stop() }
        return redis
    }

    /// The Elasticsearch stand-in, on `port` (0: any free one).
    package func startES(port: Int = 0) throws -> ESFixture {
        let es = try ESFixture(port: port)
        addTeardownBlock { es.stop() }
        return es
    }

    /// The BlueKing JOB/SOPS/ITSM stand-in.
    package func startBK() throws -> BKFixture {
        let bk = try BKFixture()
        addTeardownBlock { bk.stop() }
        return bk
    }

    // MARK: Config

    /// Writes `yaml` to `name` in `dir` and makes it the config the runners pass; returns its path.
    @discardableResult
    package func writeConfig(_ yaml: String, name: String = "fta.yaml") throws -> String {
        let path = try dir.write(name, yaml)
        config = path
        return path
    }

    /// The text of the current config file.
    package func configText() throws -> String {
        try String(contentsOfFile: try XCTUnwrap(config, "no config written"), encoding: .utf8)
    }

    // MARK: Commands

    /// Flags a runner adds that a command can go without.
    package struct Flags: OptionSet, Sendable {
        package let rawValue: Int
        package init(rawValue: Int) { self.rawValue = rawValue }
        /// No `--now`: the command reads the real clock (or FTA_NOW).
        package static let now = Flags(rawValue: 1 << 0)
        /// No `--config`, even when `config` is set.
        package static let config = Flags(rawValue: 1 << 1)
        /// No `--db`: the arguments name the database themselves, or the command needs none.
        package static let db = Flags(rawValue: 1 << 2)
    }

    /// `args` followed by `--db db`, `--config config` (when set) and `--now`: `now` as given,
    /// else `at`, else `t0`; `without` leaves flags out.
    package func arguments(_ args: [String], at time: Int64? = nil, now: String? = nil, without: Flags = []) -> [String] {
        var all = args
        if !without.contains(.db) { all += ["--db", db] }
        if !without.contains(.config), let config { all += ["--config", config] }
        if !without.contains(.now) { all += ["--now", now ?? "\(time ?? t0)"] }
        return all
    }

    /// Runs `tool` (fta-tick, fta-sync, fta-rota, fta-replay) with `arguments(...)` and, when
    /// `expect` is not nil, fails the test at the caller's line unless it exits with that status.
    @discardableResult
    package func fta(_ tool: String, _ args: [String], at time: Int64? = nil, now: String? = nil, without: Flags = [],
                     expect status: Int32? = 0, stdin: String? = nil, environment: [String: String] = [:],
                     file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        let all = arguments(args, at: time, now: now, without: without)
        let r = try Binaries.run(tool, all, stdin: stdin, environment: environment)
        if let status, r.status != status {
            XCTFail("\(tool) \(all.joined(separator: " ")): exit \(r.status), expected \(status)\n\(r.stderr)", file: file, line: line)
        }
        return r
    }

    /// `fta("fta-tick", ...)`.
    @discardableResult
    package func tick(_ args: [String], at time: Int64? = nil, now: String? = nil, without: Flags = [], expect status: Int32? = 0,
                      stdin: String? = nil, environment: [String: String] = [:],
                      file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        try fta("fta-tick", args, at: time, now: now, without: without, expect: status, stdin: stdin, environment: environment, file: file, line: line)
    }

    /// `fta("fta-sync", ...)`.
    @discardableResult
    package func sync(_ args: [String], at time: Int64? = nil, now: String? = nil, without: Flags = [], expect status: Int32? = 0,
                      stdin: String? = nil, environment: [String: String] = [:],
                      file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        try fta("fta-sync", args, at: time, now: now, without: without, expect: status, stdin: stdin, environment: environment, file: file, line: line)
    }

    /// `fta("fta-rota", ...)`.
    @discardableResult
    package func rota(_ args: [String], at time: Int64? = nil, now: String? = nil, without: Flags = [], expect status: Int32? = 0,
                      stdin: String? = nil, environment: [String: String] = [:],
                      file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        try fta("fta-rota", args, at: time, now: now, without: without, expect: status, stdin: stdin, environment: environment, file: file, line: line)
    }

    /// `fta("fta-replay", ...)`.
    @discardableResult
    package func replay(_ args: [String], at time: Int64? = nil, now: String? = nil, without: Flags = [], expect status: Int32? = 0,
                        stdin: String? = nil, environment: [String: String] = [:],
                        file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        try fta("fta-replay", args, at: time, now: now, without: without, expect: status, stdin: stdin, environment: environment, file: file, line: line)
    }

    /// Starts `tool` with `arguments(...)` without waiting (for kill tests and concurrent passes).
    package func start(_ tool: String, _ args: [String], at time: Int64? = nil, now: String? = nil, without: Flags = []) throws -> Binaries.Started {
        try Binaries.start(tool, arguments(args, at: time, now: now, without: without))
    }

    // MARK: Output

    /// The command's stdout as JSON.
    package func json(_ r: CommandResult) throws -> JSONValue { try JSONParser.parse(r.stdout) }

    /// The action ids the command printed, one a line (enqueue, ingest).
    package func ids(_ r: CommandResult) -> [Int64] { r.stdout.split(separator: "\n").compactMap { Int64($0) } }

    // MARK: Stored rows

    /// Every stored action, by id.
    package func actionRows() throws -> [ActionRow] { try database.actions() }

    /// The stored action `id`; fails the test at the caller's line when there is none.
    package func actionRow(_ id: Int64, file: StaticString = #filePath, line: UInt = #line) throws -> ActionRow {
        try XCTUnwrap(try database.action(id), "action \(id)", file: file, line: line)
    }
}
#endif
