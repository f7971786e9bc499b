import Foundation
@testable import FTACore
@testable import FTAPasses
@testable import FTAStore
import FTATestSupport
import FTATransport
import XCTest

/// Ingest stores each batch on a second thread while it plans the next: results stay in line
/// order across batches, and a failed store stops the run with nothing after it stored.
final class IngestRunTests: TemporaryDirectoryCase {
    func stage() -> CreationStage {
        var directory = UserDirectory()
        directory.users["alice"] = UserContact(id: "alice", addresses: ["email": "alice@example.com"])
        directory.groups["ops"] = UserGroup(id: "ops", users: ["alice"], noticeWays: [0: ["mail"]])
        return CreationStage(configs: [1: ["id": 1, "plugin_type": "notice", "execute_config": ["template_detail": [:]]]], directory: directory)
    }

    /// Seven events (a bad line among them) in batches of two.
    func events() throws -> String {
        var lines: [String] = []
        for i in 1...7 {
            if i == 4 { lines.append("{not json"); continue }
            lines.append(#"{"signal":"abnormal","alert":{"id":"a-\#(i)","severity":2,"status":"ABNORMAL","begin_time":1000},"#
                + #""strategy":{"id":7,"notice":{"id":70,"config_id":1,"signal":["abnormal"],"user_groups":["ops"]}}}"#)
        }
        let path = dir.file("events.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testEventsInSeveralBatches_areReportedInLineOrder_andAllStored() throws {
        let store = try SQLiteStore(path: dir.file("i.db"))
        var run = IngestRun(store: store, stage: stage(), clock: .fixed(2000))
        run.batchSize = 2
        var rejected: [Int] = []
        let report = try run.run(try LineReader(path: try events())) { rejected.append($0.line) }
        XCTAssertEqual(report.events.map(\.line), [1, 2, 3, 5, 6, 7])
        XCTAssertEqual(report.events.map(\.alertId), ["a-1", "a-2", "a-3", "a-5", "a-6", "a-7"])
        XCTAssertEqual(rejected, [4])
        // A parent and one mail child per event.
        XCTAssertEqual(report.storedCount, 12)
        XCTAssertEqual(try DatabaseTamper.scalar(dir.file("i.db"), "SELECT count(*) FROM action_instance"), "12")
    }

    func testAStoreThatFails_stopsTheRun_andNothingAfterItIsStored() throws {
        let store = FailingStore(try SQLiteStore(path: dir.file("f.db")), failOnCall: 2)
        var run = IngestRun(store: store, stage: stage(), clock: .fixed(2000))
        run.batchSize = 2
        XCTAssertThrowsError(try run.run(try LineReader(path: try events()))) { XCTAssertTrue("\($0)".contains("disk full"), "\($0)") }
        // Only the first batch (two events, four rows) went in.
        XCTAssertEqual(try DatabaseTamper.scalar(dir.file("f.db"), "SELECT count(*) FROM action_instance"), "4")
        XCTAssertEqual(store.calls, 2, "no batch is stored after the failed one")
    }

    final class FailingStore: IntakeStore, @unchecked Sendable {
        let inner: SQLiteStore
        let failOnCall: Int
        var calls = 0
        init(_ inner: SQLiteStore, failOnCall: Int) { self.inner = inner; self.failOnCall = failOnCall }
        func beginBulkInsert() throws -> any BulkInsert { try inner.beginBulkInsert() }
        func insert(_ drafts: [ActionDraft], now: Int64) throws -> [InsertResult] { try inner.insert(drafts, now: now) }
        func store(_ events: [PlannedEvent], now: Int64) throws -> [PlanResult] {
            calls += 1
            if calls == failOnCall { throw FTAError.environment("disk full") }
            return try inner.store(events, now: now)
        }
    }
}
