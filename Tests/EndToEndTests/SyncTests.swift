import Foundation
import FTACore
import FTATestSupport
import XCTest

/// fta-sync against the Elasticsearch fixture: what arrives, once; re-export of changed rows;
/// 429s, mapping errors, an unreachable cluster, kill -9 and overlapping runs.
final class SyncTests: EndToEndCase {
    var es: ESFixture!

    override func setUpWithError() throws {
        try super.setUpWithError()
        es = try startES()
        try writeConfig(batch: 500)
    }

    func writeConfig(batch: Int, extra: String = "") throws {
        try writeConfig("""
            elasticsearch:
              url: \(es.url)
              username: fta
              password: s3cret-pass
              batch_size: \(batch)
              max_retries: 8
            \(extra)
            """)
    }

    /// fta-sync an hour after the test clock, with no secret in its output.
    @discardableResult
    func sync(_ args: [String] = [], expect status: Int32 = 0, at t: Int64? = nil,
              file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        let r = try super.sync(args, at: t ?? t0 + 3600, expect: status, file: file, line: line)
        XCTAssertFalse(r.stderr.contains("s3cret-pass"), "no secret in the output", file: file, line: line)
        return r
    }

    /// Rows that should be exported: a normal signal and a status other than received.
    func exportableRows() throws -> [ActionRow] {
        try actionRows().filter { $0.signal == "abnormal" && $0.status != "received" }
    }

    /// `n` webhook actions; then statuses set outside fta as other commands (or a person) would.
    func seed(_ n: Int) throws {
        let lines = (0..<n).map { i in
            Actions.webhook(url: "http://127.0.0.1:1/x", extra: ["signal": .string(i % 10 == 8 ? "execute" : "abnormal"), "strategy_id": .int(Int64(i % 7))],
                            alertId: "a\(i)").jsonText
        }
        try tick(["enqueue", "-"], without: .config, stdin: lines.joined(separator: "\n") + "\n")
        try DatabaseTamper.spreadStatuses(db)
    }

    /// Ids of rows that should be exported: a normal signal and a status other than received.
    func exportable() throws -> Set<String> {
        Set(try exportableRows().map(\.esId))
    }

    func testTenThousandMixedRows_exactlyTheExportableOnesArriveOnce_aSecondRunSendsNothing() throws {
        try seed(10_000)
        let first = try sync(["--json"])
        let report = try JSONParser.parse(first.stdout)
        let expected = try exportable()
        XCTAssertEqual(expected.count, 7_000, "not received (1 in 5), not execution notices (1 in 10, all skipped)")
        XCTAssertEqual(report["exported"]?.intValue, 7_000)
        let docs = try es.documents()
        XCTAssertEqual(Set(docs.keys), expected)
        let stats = try es.stats()
        XCTAssertEqual(stats["writes"]?.objectValue?.values.allSatisfy { $0 == 1 }, true, "each document written once")
        XCTAssertEqual(stats["templates"], ["bkfta_action"])
        XCTAssertEqual(stats["indices"], ["bkfta_action_20261118_0"], "the UTC date of create_time (the original's layout)")
        XCTAssertGreaterThan(stats["gzip_requests"]?.intValue ?? 0, 0)
        XCTAssertEqual(stats["authorization"]?.stringValue, "Basic " + Data("fta:s3cret-pass".utf8).base64EncodedString())

        let row = try actionRow(3)
        let doc = try XCTUnwrap(docs["\(row.createTime)3"])
        XCTAssertEqual(doc.version, try XCTUnwrap(row.changeSeq), "versioned by the change number")
        XCTAssertEqual(doc.source["status"], "running")
        XCTAssertEqual(doc.source["raw_id"], 3)
        XCTAssertEqual(doc.source["strategy_id"], "2")
        XCTAssertEqual(doc.source["action_plugin_type"], "webhook")
        XCTAssertEqual(doc.source["action_name"], "test hook")
        XCTAssertEqual(doc.source["alert_id"], ["a2"])
        XCTAssertNil(doc.source["end_time"], "empty values are left out")
        let failed = try XCTUnwrap(docs["\(row.createTime)2"])
        XCTAssertEqual(failed.source["status"], "failure")
        XCTAssertEqual(failed.source["duration"], 30)

        let before = try es.stats()["bulk_requests"]?.intValue
        let second = try JSONParser.parse(try sync(["--json"]).stdout)
        XCTAssertEqual(second["exported"]?.intValue, 0)
        XCTAssertEqual(try es.stats()["bulk_requests"]?.intValue, before, "nothing sent")
        let status = try JSONParser.parse(try sync(["status", "--json"]).stdout)
        XCTAssertEqual(status["pending_changes"]?.intValue, 0)
        XCTAssertEqual(status["checkpoint"], status["latest_change"])
    }

    func testRowsUpdatedBetweenRuns_includingANoticeResult_areExportedAgainOnce() throws {
        let receiver = try startReceiver()
        try writeConfig("""
            elasticsearch: {url: \(es.url), batch_size: 100}
            channels:
              sms: {url: "\(receiver.baseURL)/sms"}
            users:
              dave: {phone: "444"}
            user_groups:
              leads: {users: [dave], notice_ways: {default: [sms]}}
            """)
        try receiver.script(path: "/sms", statuses: [500], body: "down")
        let event: JSONValue = ["signal": "abnormal", "alert": ["id": "n1", "strategy_id": 7, "status": "ABNORMAL", "begin_time": .int(t0)],
                                "strategy": ["id": 7, "notice": ["id": 70, "config_id": 0, "signal": ["abnormal"], "user_groups": ["leads"]]]]
        try tick(["ingest", "-"], stdin: Actions.lines([event]))
        try tick(["run"])
        try sync()
        let child = try XCTUnwrap(try actionRows().first { !$0.isParentAction })
        let childId = child.esId
        XCTAssertEqual(try es.documents()[childId]?.source["status"], "failure")

        // Retried by an operator, sent by the next pass: the notice's result changes.
        try tick(["retry", "\(child.id)"], at: t0 + 60, without: .config)
        try tick(["run"], at: t0 + 60)
        let before = try es.stats()["writes"]?[childId]?.intValue ?? 0
        try sync()
        let docs = try es.documents()
        XCTAssertEqual(docs[childId]?.source["status"], "success")
        XCTAssertEqual(try es.stats()["writes"]?[childId]?.intValue, before + 1, "re-exported once")
        let parent = try XCTUnwrap(try actionRows().first(where: \.isParentAction))
        XCTAssertEqual(docs[parent.esId]?.source["status"]?.stringValue, parent.status, "the parent's aggregated status")
    }

    func testThirtyPercentOf429s_everythingArrives_checkpointAtTheLastChange() throws {
        try seed(2_000)
        try es.configure(["reject_fraction": 0.3])
        let report = try JSONParser.parse(try sync(["--json"]).stdout)
        XCTAssertGreaterThan(report["retried_items"]?.intValue ?? 0, 100)
        XCTAssertEqual(Set(try es.documents().keys), try exportable())
        let status = try JSONParser.parse(try sync(["status", "--json"]).stdout)
        XCTAssertEqual(status["checkpoint"], status["latest_change"])
        // No document is stale: each carries its row's current change number.
        let versions = try es.documents().mapValues(\.version)
        for r in try exportableRows() {
            XCTAssertEqual(versions[r.esId], try XCTUnwrap(r.changeSeq))
        }
    }

    func testAMappingError_deadLettersThatDocument_othersExported_exit1_retryDeadAfterTheFix() throws {
        try seed(100)
        try DatabaseTamper.setOutputs(db, id: 2, "{\"target_info\":{\"bk_target_display\":\"host-1\"}}")
        try es.configure(["mapping_error_field": "bk_target_display"])
        let r = try sync([], expect: 1)
        XCTAssertTrue(r.stderr.contains("mapper_parsing_exception"), r.stderr)
        XCTAssertEqual(try es.documents().count, try exportable().count - 1)
        let status = try JSONParser.parse(try sync(["status", "--json"]).stdout)
        XCTAssertEqual(status["dead_letters"]?.arrayValue?.count, 1)
        XCTAssertEqual(status["checkpoint"], status["latest_change"], "a dead letter does not block the stream")

        try es.configure([:])
        XCTAssertEqual(try sync(["retry-dead"]).stdout, "retried dead letters: 1 exported, 0 still refused\n")
        XCTAssertEqual(Set(try es.documents().keys), try exportable())
        XCTAssertEqual(try JSONParser.parse(try sync(["status", "--json"]).stdout)["dead_letters"], [])
    }

    func testRetryDeadOnAnEmptyCluster_createsTheLayoutFirst_noIndexNamedAfterAnAlias() throws {
        try seed(20)
        try DatabaseTamper.setOutputs(db, id: 2, "{\"target_info\":{\"bk_target_display\":\"host-1\"}}")
        try es.configure(["mapping_error_field": "bk_target_display"])
        try sync([], expect: 1)
        // The cluster is replaced by an empty one before the retry.
        try es.call("POST", "/_fixture/reset")
        XCTAssertEqual(try sync(["retry-dead"]).stdout, "retried dead letters: 1 exported, 0 still refused\n")
        let day = AliasLayout.day(t0)
        let stats = try es.stats()
        XCTAssertEqual(stats["indices"], [.string("bkfta_action_\(day)_0")])
        XCTAssertEqual(try hits("bkfta_action_\(day)_read").count, 1)
    }

    func testElasticsearchDown_exit3_checkpointUnchanged_nextRunCatchesUp() throws {
        try seed(200)
        let port = es.port
        es.stop()
        let r = try sync([], expect: 3)
        XCTAssertTrue(r.stderr.contains("elasticsearch unreachable"), r.stderr)
        XCTAssertEqual(try JSONParser.parse(try sync(["status", "--json"]).stdout)["checkpoint"], 0)
        es = try startES(port: port)
        try sync()
        XCTAssertEqual(Set(try es.documents().keys), try exportable())
    }

    func testKill9DuringARun_theNextRunExportsEverythingNotAcknowledged() throws {
        try seed(10_000)
        try writeConfig(batch: 50)
        let p = try start("fta-sync", [], at: t0 + 3600)
        let deadline = Date().addingTimeInterval(60)
        while (try es.stats()["documents"]?.intValue ?? 0) < 500, Date() < deadline { usleep(20_000) }
        kill(p.process.processIdentifier, SIGKILL)
        p.process.waitUntilExit()
        let partial = try es.stats()["documents"]?.intValue ?? 0
        XCTAssertLessThan(partial, 7_000, "killed before the end")
        try sync()
        XCTAssertEqual(Set(try es.documents().keys), try exportable())
    }

    func testTwoOverlappingRuns_noLostOrStaleDocuments() throws {
        try seed(5_000)
        try writeConfig(batch: 100)
        let a = try start("fta-sync", [], at: t0 + 3600)
        // Rows change while both run.
        try DatabaseTamper.finish(db, ids: (1..<2000).filter { $0 % 5 == 3 }, status: "success", after: 60)
        let b = try start("fta-sync", [], at: t0 + 3600)
        a.process.waitUntilExit()
        b.process.waitUntilExit()
        XCTAssertEqual(a.process.terminationStatus, 0)
        XCTAssertEqual(b.process.terminationStatus, 0)
        try sync()
        let docs = try es.documents()
        XCTAssertEqual(Set(docs.keys), try exportable())
        for r in try exportableRows() {
            let doc = docs[r.esId]
            XCTAssertEqual(doc?.version, try XCTUnwrap(r.changeSeq))
            let status = r.status
            XCTAssertEqual(doc?.source["status"]?.stringValue, status == "running" ? "running" : status)
        }
    }

    func testDryRun_printsTheNDJSON_sendsNothing_andBackfillLeavesTheCheckpoint() throws {
        try seed(20)
        let dry = try sync(["--dry-run"])
        let lines = dry.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2 * (try exportable().count))
        let meta = try JSONParser.parse(String(lines[0]))
        XCTAssertEqual(meta["index"]?["version_type"], "external")
        XCTAssertEqual(try es.stats()["bulk_requests"], 0)
        try sync(["--full"])
        XCTAssertEqual(Set(try es.documents().keys), try exportable())
        XCTAssertEqual(try JSONParser.parse(try sync(["status", "--json"]).stdout)["checkpoint"], 0, "a backfill does not move the live checkpoint")
        let bad = try sync(["--since", "yesterday-ish"], expect: 2)
        XCTAssertTrue(bad.stderr.contains("--since 'yesterday-ish'"), bad.stderr)
    }

    func testMonthlyIndexPattern_andTheTemplateCoversIt_withAnAPIKey() throws {
        try seed(10)
        try writeConfig("""
            elasticsearch: {url: "\(es.url)", prefix: fta_actions, index_pattern: "{prefix}-{YYYY}.{MM}", api_key: "a2V5OnNlY3JldA=="}
            """, name: "monthly.yaml")
        try sync()
        XCTAssertEqual(try es.stats()["authorization"], "ApiKey a2V5OnNlY3JldA==")
        let stats = try es.stats()
        XCTAssertEqual(stats["indices"], ["fta_actions-2026.11"])
        let template = try es.call("GET", "/_index_template/fta_actions")
        XCTAssertEqual(template["index_templates"]?.arrayValue?.first?["index_template"]?["index_patterns"], ["fta_actions-*.*"])
        try writeConfig("elasticsearch: {url: \"\(es.url)\", index_pattern: \"{prefix}/{YYYY}\"}\n", name: "bad.yaml")
        let r = try super.sync([], without: .now, expect: 2)
        XCTAssertTrue(r.stderr.contains("elasticsearch.index_pattern"), r.stderr)
    }

    /// Every hit of a search over `pattern`: (index, _id), duplicates included.
    func hits(_ pattern: String) throws -> [(index: String, id: String)] {
        try es.call("POST", "/\(pattern)/_search", ["query": ["match_all": [:]]])["hits"]?["hits"]?.arrayValue?.map {
            ($0["_index"]!.stringValue!, $0["_id"]!.stringValue!)
        } ?? []
    }

    func testTheOriginalsLayout_documentsLandThroughTheWriteAlias_theReadAliasFindsThem() throws {
        try seed(30)
        let report = try JSONParser.parse(try sync(["--json"]).stdout)
        XCTAssertEqual(report["indices_created"], 1)
        let day = AliasLayout.day(t0), next = AliasLayout.day(t0 + 86400)
        let physical = "bkfta_action_\(day)_0"
        let stats = try es.stats()
        XCTAssertEqual(stats["indices"], [.string(physical)], "one physical index, no index named after an alias")
        for alias in ["write_\(day)_bkfta_action", "bkfta_action_\(day)_read", "write_\(next)_bkfta_action", "bkfta_action_\(next)_read"] {
            XCTAssertEqual(stats["aliases"]?[alias], [.string(physical)], alias)
        }
        let read = try hits("bkfta_action_\(day)_read")
        XCTAssertEqual(Set(read.map(\.id)), try exportable())
        XCTAssertEqual(read.count, try exportable().count, "each once")
        let count = try es.call("GET", "/bkfta_action_*_read/_count")["count"]?.intValue
        XCTAssertEqual(count, Int64(try exportable().count))
        // A second run the same day creates nothing.
        XCTAssertEqual(try JSONParser.parse(try sync(["--json"]).stdout)["indices_created"], 0)
        XCTAssertEqual(try es.stats()["indices"], [.string(physical)])
    }

    func testRolloverAtASmallSize_updatedDocumentsMoveToTheNewIndex_eachFoundOnce() throws {
        try writeConfig(batch: 500, extra: "  rollover_size: 4kb")
        try seed(40)
        try sync()
        let day = AliasLayout.day(t0)
        let first = "bkfta_action_\(day)_0", second = "bkfta_action_\(day)_1"
        XCTAssertGreaterThan(try es.call("GET", "/\(first)/_stats/store")["indices"]?[first]?["primaries"]?["store"]?["size_in_bytes"]?.intValue ?? 0, 4096)

        // Rows still running finish; the next run rolls over first, then sends their new versions.
        let running = try exportableRows().filter { $0.status == "running" }
        XCTAssertFalse(running.isEmpty)
        try DatabaseTamper.finish(db, ids: running.map(\.id), status: "success", after: 40)
        let report = try JSONParser.parse(try sync(["--json"], at: t0 + 7200).stdout)
        XCTAssertEqual(report["indices_created"], 1)
        let stats = try es.stats()
        XCTAssertEqual(stats["indices"], [.string(first), .string(second)])
        XCTAssertEqual(stats["aliases"]?["write_\(day)_bkfta_action"], [.string(second)], "the write alias moved")
        XCTAssertEqual(stats["aliases"]?["bkfta_action_\(day)_read"], [.string(first), .string(second)], "the read alias spans both")
        let read = try hits("bkfta_action_\(day)_read")
        XCTAssertEqual(read.count, try exportable().count, "no document twice")
        XCTAssertEqual(Set(read.map(\.id)), try exportable())
        let moved = Set(running.map(\.esId))
        XCTAssertEqual(Set(read.filter { $0.index == second }.map(\.id)), moved, "the updated ones live in the new index only")
        for hit in read where moved.contains(hit.id) {
            XCTAssertEqual(try es.call("GET", "/\(second)/_doc/\(hit.id)")["_source"]?["status"], "success")
        }
    }

    func testAnUpdateRefusedAfterARollover_leavesTheOldCopyFindable() throws {
        try writeConfig(batch: 500, extra: "  rollover_size: 4kb")
        try seed(40)
        try sync()
        let day = AliasLayout.day(t0)
        let row = try XCTUnwrap(try exportableRows().first { $0.status == "running" })
        try DatabaseTamper.setOutputs(db, id: row.id, "{\"target_info\":{\"bk_target_display\":\"host-1\"}}")
        try es.configure(["mapping_error_field": "bk_target_display"])
        try sync([], expect: 1, at: t0 + 7200)
        let read = try hits("bkfta_action_\(day)_read")
        XCTAssertEqual(read.filter { $0.id == row.esId }.map(\.index), ["bkfta_action_\(day)_0"], "the refused update deleted nothing")
        XCTAssertEqual(read.count, try exportable().count)
    }

    func testRetention_deletesIndicesWhoseDaysExpired_andOldRowsAreNotExportedAgain() throws {
        try writeConfig(batch: 500, extra: "  rollover_size: 1kb\n  retention_days: 30")
        try seed(20)
        try sync()
        let old = "bkfta_action_\(AliasLayout.day(t0))_0"
        XCTAssertEqual(try es.stats()["indices"], [.string(old)])
        // Forty days later the old index has only expired days: it goes, a new one takes over.
        let later = t0 + 40 * 86400
        let report = try JSONParser.parse(try sync(["--json"], at: later).stdout)
        XCTAssertEqual(report["indices_deleted"], 1)
        let fresh = "bkfta_action_\(AliasLayout.day(later))_0"
        let stats = try es.stats()
        XCTAssertEqual(stats["indices"], [.string(fresh)])
        XCTAssertNil(stats["aliases"]?["bkfta_action_\(AliasLayout.day(t0))_read"])
        // A backfill then leaves the expired rows out rather than aliasing a day nobody keeps.
        let full = try JSONParser.parse(try sync(["--full", "--json"], at: later).stdout)
        XCTAssertEqual(full["exported"], 0)
        XCTAssertGreaterThanOrEqual(full["skipped"]?.intValue ?? 0, Int64(try exportable().count))
        XCTAssertEqual(try es.stats()["documents"], 0)
    }

    func testThePlainLayout_staysAvailable() throws {
        try writeConfig(batch: 500, extra: "  layout: index")
        try seed(10)
        try sync()
        let stats = try es.stats()
        XCTAssertEqual(stats["indices"], [.string("bkfta_action_\(AliasLayout.day(t0))")])
        XCTAssertEqual(stats["aliases"], [:])
    }
}
