import Foundation
import FTACore
import FTAPostgres
import FTATestSupport
import XCTest

/// What only PostgreSQL has: its connection errors, several processes creating the schema, the
/// export feed under concurrent writers and a long-open transaction, and the move from SQLite.
final class PostgresTests: EndToEndCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        guard isPostgres else { throw XCTSkip("PostgreSQL only (FTA_TEST_POSTGRES)") }
    }

    func pg(_ url: String? = nil) throws -> PostgresProbe { try PostgresProbe(url ?? db) }

    /// `db` with another user, password or port.
    func address(user: String? = nil, password: String? = nil, port: Int? = nil, database: String? = nil) -> String {
        var c = URLComponents(string: db)!
        if let user { c.user = user }
        if let password { c.password = password }
        if let port { c.port = port }
        if let database { c.path = "/" + database }
        return c.string!
    }

    func testFourProcessesOpeningAnEmptyDatabase_createTheSchemaOnce() throws {
        let admin = try pg()
        let name = "fresh_\(UInt32.random(in: 0...UInt32.max))"
        try admin.createDatabase(name)
        defer { admin.dropDatabase(name) }
        let url = address(database: name)
        let started = try (0..<4).map { _ in try Binaries.start("fta-tick", ["status", "--db", url]) }
        for p in started {
            let err = p.stderrPipe.fileHandleForReading.readDataToEndOfFile()
            p.process.waitUntilExit()
            XCTAssertEqual(p.process.terminationStatus, 0, String(decoding: err, as: UTF8.self))
        }
        let c = try pg(url)
        XCTAssertEqual(try c.schemaRows(), 1)
        XCTAssertEqual(try c.tableCount("action_instance"), 1)
    }

    func testANewerSchema_isRefused() throws {
        try tick(["status"])
        try pg().setSchemaVersion(99)
        let r = try tick(["status"], expect: 3)
        XCTAssertTrue(r.stderr.contains("schema version 99 is newer than this fta"), r.stderr)
    }

    func testServerDown_wrongPassword_lockTimeout_exit3WithOneLine_andNoSecret() throws {
        let down = address(password: "s3cret-down", port: 1)
        var r = try Binaries.run("fta-tick", ["status", "--db", down])
        XCTAssertEqual(r.status, 3)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("cannot connect"), r.stderr)
        XCTAssertFalse(r.stderr.contains("s3cret-down"), r.stderr)

        try pg().ensureRole("fta_password", password: "right-pass-1")
        r = try Binaries.run("fta-tick", ["status", "--db", address(user: "fta_password", password: "wrong-pass-2")])
        XCTAssertEqual(r.status, 3)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("password authentication failed"), r.stderr)
        XCTAssertFalse(r.stderr.contains("wrong-pass-2"), r.stderr)
        XCTAssertEqual(try Binaries.run("fta-tick", ["status", "--db", address(user: "fta_password", password: "right-pass-1")]).status, 0)

        // Another session holds the row: an operator's skip gives up after the busy timeout.
        let id = ids(try tick(["enqueue", "-"], stdin: Actions.lines([Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["due_at": .int(t0 + 3600)])])))[0]
        try writeConfig("database: {busy_timeout: 1}\n")
        let holder = try pg()
        try holder.lockAction(id)
        let t = Date()
        r = try tick(["skip", "\(id)", "--reason", "x"], expect: 3)
        XCTAssertLessThan(Date().timeIntervalSince(t), 10)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("lock timeout"), r.stderr)
        holder.rollback()
        XCTAssertEqual(try actionRow(id).status, "received", "nothing changed")
    }

    func testExportUnderConcurrentWriters_andATransactionHeldOpen_losesNothing() throws {
        let es = try startES()
        let receiver = try startReceiver()
        try writeConfig("""
            elasticsearch:
              url: \(es.url)
              batch_size: 200
            """)
        let lines = (0..<2_000).map { Actions.webhook(url: receiver.baseURL + "/w", alertId: "w\($0)") }
        try tick(["enqueue", "-"], stdin: Actions.lines(lines))
        // A writer that changes some rows, then keeps its transaction open for 10 s.
        let holder = try pg()
        let heldXid = try holder.holdSkipOfActions(upTo: 20)
        let holderDone = Date().addingTimeInterval(10)
        var passes = try (1...4).map { try start("fta-tick", ["run", "--worker-id", "h\($0)", "--batch", "100", "--log-level", "warning"]) }
        var versions: [String: Int64] = [:]
        var wentBack = 0
        var passedOpenWriter = false
        while Date() < holderDone || !passes.isEmpty {
            if Date() >= holderDone, heldXid > 0 {
                holder.commit()
            }
            passes = passes.filter { $0.process.isRunning }
            // Operators on another host.
            _ = try? tick(["retry", "\(Int.random(in: 21...2000))", "--include-success"], expect: nil)
            _ = try? tick(["skip", "\(Int.random(in: 21...2000))", "--reason", "by hand"], expect: nil)
            _ = try sync([], at: t0 + 3600, expect: nil)
            let status = try json(try sync(["status", "--json"], at: t0 + 3600))
            if Date() < holderDone, let position = status["position"]?.stringValue, let xid = Int64(position.split(separator: ":").first ?? "") {
                if xid >= heldXid { passedOpenWriter = true }
            }
            for (id, doc) in try es.documents() {
                if let old = versions[id], doc.version < old { wentBack += 1 }
                versions[id] = doc.version
            }
            usleep(200_000)
        }
        holder.commit()
        try tick(["run"])
        try sync([], at: t0 + 3600)
        XCTAssertFalse(passedOpenWriter, "the checkpoint never passed the open writer")
        XCTAssertEqual(wentBack, 0, "no document version went backwards")
        let docs = try es.documents()
        let exported = try actionRows().filter { $0.changeSeq != nil }
        XCTAssertGreaterThan(exported.count, 1_900)
        for row in exported {
            let doc = try XCTUnwrap(docs[row.esId], "row \(row.id) missing from Elasticsearch")
            XCTAssertEqual(doc.version, row.changeSeq, "row \(row.id): the latest version")
            XCTAssertEqual(doc.source["status"]?.stringValue, row.status, "row \(row.id)")
        }
        XCTAssertEqual(docs.filter { $0.value.source["status"] == "skipped" }.count >= 20, true, "the held writer's rows arrived after it committed")
    }
}

/// `fta-tick migrate-db`: a SQLite database with every kind of row, copied; the commands then
/// say the same on both.
final class MigrateDbTests: EndToEndCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        guard isPostgres else { throw XCTSkip("PostgreSQL only (FTA_TEST_POSTGRES)") }
    }

    func testEveryKindOfRow_isCopied_andTheCommandsSayTheSameOnBoth() throws {
        let receiver = try startReceiver()
        let es = try startES()
        try writeConfig("""
            channels:
              sms: {url: "\(receiver.baseURL)/sms", body: '{"to": {{ receivers|tojson }}}', recipient_cap: {max: 1, window: 600}}
            users:
              alice: {phone: "111"}
            user_groups:
              ops: {users: [alice], notice_ways: {default: [sms]}}
            action_configs:
              - {id: 1, name: every minute, plugin_type: notice, execute_config: {template_detail: {notify_interval: 60}}}
            elasticsearch:
              url: \(es.url)
            """)
        let file = dir.file("old.db")
        func old(_ tool: String, _ args: [String], at t: Int64) throws -> CommandResult {
            let r = try Binaries.run(tool, args + ["--db", file, "--config", config!, "--now", "\(t)"], stdin: nil)
            XCTAssertTrue(r.status == 0 || r.status == 1, "\(args): \(r.stderr)")
            return r
        }
        func oldIn(_ tool: String, _ args: [String], stdin: String, at t: Int64) throws {
            let r = try Binaries.run(tool, args + ["--db", file, "--config", config!, "--now", "\(t)"], stdin: stdin)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
        }
        // Alert events: notices with interval repeats and a recipient cap (a digest waits).
        let events: [JSONValue] = (0..<3).map { i in
            ["signal": "abnormal",
             "alert": ["id": .string("m\(i)"), "strategy_id": 7, "severity": 1, "status": "ABNORMAL", "begin_time": .int(t0), "latest_time": .int(t0),
                       "event": ["bk_biz_id": 2]],
             "strategy": ["id": 7, "name": "cpu", "bk_biz_id": 2, "notice": ["id": 70, "config_id": 1, "signal": ["abnormal"], "user_groups": ["ops"]]]]
        }
        try oldIn("fta-tick", ["ingest", "-"], stdin: Actions.lines(events), at: t0)
        // Webhooks, one failing, and a converged storm.
        try receiver.script(path: "/bad", statuses: Array(repeating: 500, count: 10))
        let hooks = [Actions.webhook(url: receiver.baseURL + "/ok", alertId: "h1"), Actions.webhook(url: receiver.baseURL + "/bad", alertId: "h2")]
            + (0..<5).map { i in Actions.webhook(url: receiver.baseURL + "/storm", extra: ["inputs": ["converge_config": ["is_enabled": true, "timedelta": 120, "count": 1, "converge_func": "skip_when_success"]]], alertId: "c\(i)") }
        try oldIn("fta-tick", ["enqueue", "-"], stdin: Actions.lines(hooks), at: t0)
        _ = try old("fta-tick", ["breaker", "add", "--strategy", "99", "--description", "storm"], at: t0)
        _ = try old("fta-tick", ["run"], at: t0)
        _ = try old("fta-tick", ["run"], at: t0 + 30)
        // Duty rules and plans.
        let rotaFile = try dir.write("rota.yaml", RotaEndToEndTests.rota)
        _ = try old("fta-rota", ["import", rotaFile], at: t0)
        _ = try old("fta-rota", ["run"], at: t0)
        // An export checkpoint, then more changes after it.
        _ = try old("fta-sync", [], at: t0 + 40)
        _ = try old("fta-tick", ["run"], at: t0 + 61)

        let copy = try tick(["migrate-db", "--from", file, "--to", db], without: .now)
        for table in ["action_instance", "action_log", "alert_cycle", "notice_quota", "notice_digest", "breaker_rule", "sync_checkpoint",
                      "duty_rule", "duty_rule_snap", "duty_plan", "converge_instance", "converge_relation", "converge_dimension", "user_group"] {
            XCTAssertTrue(copy.stdout.contains("\(table)\t"), "\(table) copied: \(copy.stdout)")
        }
        // The same answers from both.
        func both(_ tool: String, _ args: [String], at t: Int64) throws -> (String, String) {
            let a = try old(tool, args, at: t).stdout
            let b = try fta(tool, args, at: t, expect: nil).stdout
            return (a, b)
        }
        var (a, b) = try both("fta-tick", ["status", "--json"], at: t0 + 62)
        // The same status, but for the storage's size: a file and a server measure it differently.
        func withoutSize(_ text: String) throws -> JSONValue {
            var o = try JSONParser.parse(text).objectValue ?? [:]
            let storage = o.removeValue(forKey: "storage")
            XCTAssertNotNil(storage?["bytes"]?.intValue)
            o["actions"] = storage?["actions"] ?? .null
            o["oldest"] = storage?["oldest_create_time"] ?? .null
            return .object(o)
        }
        XCTAssertEqual(try withoutSize(a), try withoutSize(b))
        let ids = try actionRows().map(\.id)
        XCTAssertGreaterThan(ids.count, 10)
        for id in ids {
            (a, b) = try both("fta-tick", ["show", "\(id)", "--json"], at: t0 + 62)
            XCTAssertEqual(a, b, "show \(id)")
        }
        (a, b) = try both("fta-rota", ["who", "oncall", "--at", "2026-03-27 14:00", "--json"], at: t0 + 62)
        XCTAssertEqual(a, b)
        (a, b) = try both("fta-sync", ["--dry-run"], at: t0 + 62)
        XCTAssertEqual(a, b)
        XCTAssertFalse(a.isEmpty, "changes after the checkpoint wait for the export on both")
        (a, b) = try both("fta-sync", ["status", "--json"], at: t0 + 62)
        XCTAssertEqual(a.replacingOccurrences(of: "\"held_by\":null,", with: ""), b.replacingOccurrences(of: "\"held_by\":null,", with: ""))
        // And both carry on alike: the next interval round and the digest.
        (a, b) = try both("fta-tick", ["run", "--json"], at: t0 + 700)
        let ra = try JSONParser.parse(a), rb = try JSONParser.parse(b)
        for key in ["claimed", "succeeded", "failed", "repeats"] { XCTAssertEqual(ra[key], rb[key], key) }
    }
}
