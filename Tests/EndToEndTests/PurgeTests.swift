import Foundation
import FTACore
import FTATestSupport
import XCTest

/// `fta-tick purge` (docs/schema.md "Housekeeping"): old finished actions go in bounded runs,
/// live and unexported ones stay, the file shrinks.
final class PurgeTests: EndToEndCase {
    let day: Int64 = 86_400

    /// `n` webhook actions to a port nobody listens on, stored at `at`; their ids.
    @discardableResult
    func enqueue(_ n: Int, at: Int64, dueAt: Int64? = nil, timeout: Int? = nil, from: Int = 0) throws -> [Int64] {
        let lines = (from..<(from + n)).map { i -> JSONValue in
            var extra: [String: JSONValue] = [:]
            if let dueAt { extra["due_at"] = .int(dueAt) }
            return Actions.webhook(url: "http://127.0.0.1:9/hook", timeout: timeout, extra: extra, alertId: "a\(i)")
        }
        let file = try dir.write("in-\(from).jsonl", Actions.lines(lines))
        return ids(try tick(["enqueue", file], at: at, without: .config))
    }

    /// Finishes `ids` by hand (skipped) at `at`.
    func finish(_ ids: [Int64], at: Int64) throws {
        for chunk in stride(from: 0, to: ids.count, by: 20_000) {
            try tick(["skip", "--reason", "test"] + ids[chunk..<min(chunk + 20_000, ids.count)].map(String.init), at: at, without: .config)
        }
    }

    func purge(_ args: [String], at: Int64) throws -> JSONValue {
        try json(tick(["purge", "--json"] + args, at: at))
    }

    func storage(at: Int64) throws -> JSONValue {
        try XCTUnwrap(try json(tick(["status", "--json"], at: at))["storage"])
    }

    func testHundredThousandOldRows_goInBoundedRuns_liveRowsStay_andTheFileShrinks() throws {
        try writeConfig("tick: {purge_after_days: 7}\n")
        // 100,000 actions that the sweep of a pass an hour later fails for their 60-s deadline.
        let old = try enqueue(100_000, at: t0, timeout: 60)
        XCTAssertEqual(old.count, 100_000)
        // Live: scheduled for later (after the purge time), and one due now and never run.
        let later = try enqueue(1, at: t0, dueAt: t0 + 30 * day, from: 200_000)
        let due = try enqueue(1, at: t0 + 3600, dueAt: t0 + 3601, from: 300_000)
        let pass = try json(tick(["run", "--json"], at: t0 + 3600))
        XCTAssertEqual(pass["timed_out"], 100_000)
        let before = try storage(at: t0 + 8 * day)
        XCTAssertEqual(before["actions"], 100_002)
        XCTAssertEqual(before["oldest_create_time"]?.intValue, t0)

        // Too young: a purge at six days removes nothing.
        XCTAssertEqual(try purge([], at: t0 + 6 * day)["purged"], 0)
        let first = try purge(["--limit", "60000", "--batch", "5000"], at: t0 + 8 * day)
        XCTAssertEqual(first["purged"], 60_000)
        XCTAssertEqual(first["log_lines"], 60_000, "each action's log line goes with it")
        XCTAssertEqual(first["more"], true)
        let second = try purge(["--limit", "60000", "--batch", "5000"], at: t0 + 8 * day)
        XCTAssertEqual(second["purged"], 40_000)
        XCTAssertEqual(second["more"], false)
        XCTAssertEqual(try purge([], at: t0 + 8 * day)["purged"], 0, "nothing left to purge")

        let after = try storage(at: t0 + 8 * day)
        XCTAssertEqual(after["actions"], 2)
        for id in later + due {
            XCTAssertEqual(try actionRow(id).status, "received", "live action \(id) untouched")
        }
        if !TestBackend.isPostgres {
            let was = try XCTUnwrap(before["bytes"]?.intValue), now = try XCTUnwrap(after["bytes"]?.intValue)
            XCTAssertLessThan(now, was / 4, "the file gave its space back (\(was) -> \(now) bytes)")
        }
    }

    func testRowsFtaSyncHasNotExported_areKept_untilItHas() throws {
        let es = try startES()
        try writeConfig("elasticsearch: {url: \"\(es.url)\"}\n")
        let exported = try enqueue(30, at: t0)
        try finish(exported, at: t0)
        try sync([], at: t0 + 60)
        // Finished after the export ran: not in Elasticsearch yet.
        let pending = try enqueue(20, at: t0, from: 100)
        try finish(pending, at: t0 + 120)

        let r = try purge([], at: t0 + 10 * day)
        XCTAssertEqual(r["purged"], 30)
        XCTAssertEqual(r["kept_unexported"], 20)
        XCTAssertEqual(try storage(at: t0 + 10 * day)["actions"], 20)
        XCTAssertEqual(try es.documents().count, 30)

        try sync([], at: t0 + 10 * day)
        XCTAssertEqual(try es.documents().count, 50)
        let again = try purge([], at: t0 + 10 * day)
        XCTAssertEqual(again["purged"], 20)
        XCTAssertEqual(again["kept_unexported"], 0)
    }

    func testAPassPurgesABoundedNumber_whenConfigured() throws {
        try writeConfig("tick: {purge_per_pass: 15, purge_after_days: 3}\n")
        let ids = try enqueue(40, at: t0)
        try finish(ids, at: t0)
        let report = try json(tick(["run", "--json"], at: t0 + 4 * day))
        XCTAssertEqual(report["purged"], 15)
        XCTAssertEqual(try storage(at: t0 + 4 * day)["actions"], 25)
        let young = try json(tick(["run", "--json"], at: t0 + 2 * day))
        XCTAssertEqual(young["purged"], 0, "younger than purge_after_days")
    }

    func testBadValues_areRefusedWithTheirName() throws {
        let r = try tick(["purge", "--older-than", "0"], expect: 2)
        XCTAssertTrue(r.stderr.contains("--older-than"), r.stderr)
        try writeConfig("tick: {purge_after_days: 0}\n")
        let c = try tick(["purge"], expect: 2)
        XCTAssertTrue(c.stderr.contains("purge_after_days"), c.stderr)
    }
}
