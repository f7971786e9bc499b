import Foundation
import FTACore
import FTATestSupport
import XCTest

/// Message-queue actions pushed to a real Redis server (Debian's redis-server).
final class MessageQueueTests: XCTestCase {
    var dir: TemporaryDirectory!
    var redis: RedisServer!
    var db: String { dir.file("fta.db") }
    var config: String!
    let t0: Int64 = 1_795_000_000

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
        redis = try RedisServer()
        config = try dir.write("fta.yaml", """
            message_queue:
              dsn: {"0": "redis://127.0.0.1:\(redis.port)/0/fta_alerts", "9": "redis://127.0.0.1:\(redis.port)/0/biz9_alerts"}
              max_retry_times: 1
              retry_interval: 30
            """)
    }

    override func tearDown() { redis?.stop() }

    func event(_ i: Int, biz: Int = 2, signal: String = "abnormal") -> JSONValue {
        ["signal": .string(signal),
         "alert": ["id": .string("mq-\(i)"), "alert_name": "CPU high", "strategy_id": 7, "severity": 1, "status": "ABNORMAL",
                   "begin_time": .int(t0), "latest_time": .int(t0 + 60), "event": ["bk_biz_id": .int(Int64(biz)), "value": 97.5],
                   "dimensions": [["key": "ip", "value": .string("10.0.0.\(i)")]]],
         "strategy": ["id": 7, "name": "cpu high", "scenario": "os",
                      "items": [["name": "CPU usage", "query_configs": [["metric_field": "usage", "data_source_label": "bk_monitor", "data_type_label": "time_series"]]]]]]
    }

    func tick(_ args: [String], at t: Int64, stdin: String? = nil) throws -> CommandResult {
        let r = try Binaries.run("fta-tick", args + ["--db", db, "--config", config, "--now", "\(t)"], stdin: stdin)
        XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
        return r
    }

    func statuses() throws -> [String] {
        try TestDatabase(path: db).actions().map(\.status)
    }

    func testHundredActions_hundredEntries_inTheOriginalsCallbackShape() throws {
        _ = try tick(["ingest", "-"], at: t0, stdin: Actions.lines((0..<100).map { event($0) }))
        _ = try tick(["run"], at: t0)
        XCTAssertEqual(try statuses(), Array(repeating: "success", count: 100))
        let entries = try redis.list("fta_alerts").map { try JSONParser.parse($0) }
        XCTAssertEqual(entries.count, 100)
        XCTAssertEqual(Set(entries.compactMap { $0["event"]?["id"]?.stringValue }), Set((0..<100).map { "mq-\($0)" }))
        let first = try XCTUnwrap(entries.first { $0["event"]?["id"] == "mq-0" })
        XCTAssertEqual(first["type"], "ANOMALY_PUSH")
        XCTAssertEqual(first["bk_biz_id"], 2)
        XCTAssertEqual(first["scenario"], "os")
        XCTAssertEqual(first["event"]?["level"], 1)
        XCTAssertEqual(first["event"]?["begin_time"], "2026-11-18 11:06:40")
        XCTAssertEqual(first["event"]?["agg_dimensions"], ["ip"])
        XCTAssertEqual(first["strategy"]?["item_list"]?.arrayValue?.first?["data_source_label"], "bk_monitor")
        XCTAssertEqual(first["current_value"], 97.5)
        XCTAssertEqual(try redis.list("biz9_alerts"), [], "business 9's queue gets only business 9's alerts")
    }

    func testPerBusinessQueue_andTheDefaultOne_bothGetTheAlert() throws {
        _ = try tick(["ingest", "-"], at: t0, stdin: Actions.lines([event(1, biz: 9, signal: "abnormal")]))
        _ = try tick(["run"], at: t0)
        XCTAssertEqual(try redis.list("fta_alerts").count, 1)
        XCTAssertEqual(try redis.list("biz9_alerts").count, 1)
    }

    func testRedisDown_retriedPerPolicy_thenFailure() throws {
        _ = try tick(["ingest", "-"], at: t0, stdin: Actions.lines([event(1)]))
        redis.stop()
        _ = try tick(["run"], at: t0)
        XCTAssertEqual(try statuses(), ["running"], "a retry is scheduled")
        _ = try tick(["run"], at: t0 + 30)
        XCTAssertEqual(try statuses(), ["failure"])
        let show = try JSONParser.parse(try tick(["show", "--json", "1"], at: t0 + 30).stdout)
        XCTAssertTrue(show["action"]?["ex_data"]?["message"]?.stringValue?.contains("message queue push failed: redis://127.0.0.1:") ?? false, "\(show)")
        XCTAssertEqual(show["action"]?["execute_times"], 2)
    }

    func testKafkaAndMalformedDSNs_areRefusedAtConfig_exit2() throws {
        for (dsn, message) in [("kafka://127.0.0.1:9092/alerts", "kafka:// is not supported"), ("redis://127.0.0.1:6379", "db and key are required")] {
            let bad = try dir.write("bad.yaml", "message_queue: {dsn: \"\(dsn)\"}\n")
            let r = try Binaries.run("fta-tick", ["status", "--db", db, "--config", bad])
            XCTAssertEqual(r.status, 2)
            XCTAssertTrue(r.stderr.contains("message_queue.dsn") && r.stderr.contains(message), r.stderr)
        }
    }
}
