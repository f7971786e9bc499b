import Foundation
import FTACore
import FTATestSupport
import XCTest

/// Message-queue actions pushed to a real Redis server (Debian's redis-server).
final class MessageQueueTests: EndToEndCase {
    var redis: RedisServer!

    override func setUpWithError() throws {
        try super.setUpWithError()
        redis = try startRedis()
        try writeConfig("""
            message_queue:
              dsn: {"0": "redis://127.0.0.1:\(redis.port)/0/fta_alerts", "9": "redis://127.0.0.1:\(redis.port)/0/biz9_alerts"}
              max_retry_times: 1
              retry_interval: 30
            """)
    }

    func event(_ i: Int, biz: Int = 2, signal: String = "abnormal") -> JSONValue {
        ["signal": .string(signal),
         "alert": ["id": .string("mq-\(i)"), "alert_name": "CPU high", "strategy_id": 7, "severity": 1, "status": "ABNORMAL",
                   "begin_time": .int(t0), "latest_time": .int(t0 + 60), "event": ["bk_biz_id": .int(Int64(biz)), "value": 97.5],
                   "dimensions": [["key": "ip", "value": .string("10.0.0.\(i)")]]],
         "strategy": ["id": 7, "name": "cpu high", "scenario": "os",
                      "items": [["name": "CPU usage", "query_configs": [["metric_field": "usage", "data_source_label": "bk_monitor", "data_type_label": "time_series"]]]]]]
    }

    func statuses() throws -> [String] {
        try actionRows().map(\.status)
    }

    func testHundredActions_hundredEntries_inTheOriginalsCallbackShape() throws {
        try tick(["ingest", "-"], at: t0, stdin: Actions.lines((0..<100).map { event($0) }))
        try tick(["run"], at: t0)
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
        try tick(["ingest", "-"], at: t0, stdin: Actions.lines([event(1, biz: 9, signal: "abnormal")]))
        try tick(["run"], at: t0)
        XCTAssertEqual(try redis.list("fta_alerts").count, 1)
        XCTAssertEqual(try redis.list("biz9_alerts").count, 1)
    }

    func testRedisDown_retriedPerPolicy_thenFailure() throws {
        try tick(["ingest", "-"], at: t0, stdin: Actions.lines([event(1)]))
        redis.stop()
        try tick(["run"], at: t0)
        XCTAssertEqual(try statuses(), ["running"], "a retry is scheduled")
        try tick(["run"], at: t0 + 30)
        XCTAssertEqual(try statuses(), ["failure"])
        let show = try json(tick(["show", "--json", "1"], at: t0 + 30))
        XCTAssertTrue(show["action"]?["ex_data"]?["message"]?.stringValue?.contains("message queue push failed: redis://127.0.0.1:") ?? false, "\(show)")
        XCTAssertEqual(show["action"]?["execute_times"], 2)
    }

    func testKafkaAndMalformedDSNs_areRefusedAtConfig_exit2() throws {
        for (dsn, message) in [("kafka://127.0.0.1:9092/alerts", "kafka:// is not supported"), ("redis://127.0.0.1:6379", "db and key are required")] {
            try writeConfig("message_queue: {dsn: \"\(dsn)\"}\n", name: "bad.yaml")
            let r = try tick(["status"], without: .now, expect: 2)
            XCTAssertTrue(r.stderr.contains("message_queue.dsn") && r.stderr.contains(message), r.stderr)
        }
    }
}
