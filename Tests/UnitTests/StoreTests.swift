import Foundation
@testable import FTACore
@testable import FTAStore
import FTATestSupport
import GRDB
import XCTest

/// The claim/lease/fencing rules of the store, driven directly.
final class StoreTests: TemporaryDirectoryCase {
    var store: SQLiteStore!

    override func setUpWithError() throws {
        try super.setUpWithError()
        store = try SQLiteStore(path: dir.file("s.db"))
    }

    func draft() -> ActionDraft {
        var d = ActionDraft(signal: "abnormal", pluginType: "webhook")
        d.alerts = #"["a1"]"#
        return d
    }

    func testFencing_aWorkerWhoseLeaseWasTakenOver_cannotOverwriteTheNewerStatus() throws {
        _ = try store.insert([draft()], now: 1000)
        let a = try store.claimDue(limit: 10, now: 1000, lease: 30, owner: "A")
        XCTAssertEqual(a.count, 1)
        XCTAssertTrue(try store.claimDue(limit: 10, now: 1010, lease: 30, owner: "B").isEmpty, "a live lease is not claimable")
        // A stalls past its lease; B takes the row over and finishes it.
        let b = try store.claimDue(limit: 10, now: 1031, lease: 30, owner: "B")
        XCTAssertEqual(b.count, 1)
        XCTAssertTrue(b[0].leaseWasExpired)
        XCTAssertEqual(b[0].leaseToken, a[0].leaseToken + 1)
        let bDone = OutcomeResolver.resolve(action: b[0], outcome: .success("from B"), policy: .none, now: 1032, random: 0)
        XCTAssertEqual(try store.record([bDone], now: 1032), [])
        // A wakes up and tries to record a failure with its old token: refused.
        let aDone = OutcomeResolver.resolve(action: a[0], outcome: .failure("from A"), policy: .none, now: 1033, random: 0)
        XCTAssertEqual(try store.record([aDone], now: 1033), [a[0].id])
        XCTAssertEqual(try store.renew([LeaseHold(id: a[0].id, token: a[0].leaseToken)], until: 2000), [a[0].id])
        let row = try XCTUnwrap(try store.action(id: a[0].id)).row
        XCTAssertEqual(row["status"], "success")
        XCTAssertEqual(row["ex_data"]?["message"], "from B")
    }

    func testAnExecutionNoticesResult_reachesItsSourceAction_andSurvivesTheSourcesOwnUpdate() throws {
        let ids = try store.insert([draft(), ActionDraft(signal: "execute", pluginType: "notice")], now: 1000).map { r -> Int64 in
            switch r { case .stored(let id), .duplicate(let id): return id }
        }
        let claimed = try store.claimDue(limit: 10, now: 1000, lease: 30, owner: "A")
        let source = try XCTUnwrap(claimed.first { $0.id == ids[0] }), notice = try XCTUnwrap(claimed.first { $0.id == ids[1] })
        // The notice finishes while the source is still running: its result goes into the source.
        var sent = OutcomeResolver.resolve(action: notice, outcome: .success("sent"), policy: .none, now: 1001, random: 0)
        sent.notifyResult = ExecutionNotice.NotifyResult(sourceId: source.id, step: "3", way: "mail",
                                                         entry: ["receiver": "dave", "result": true, "action_id": .int(notice.id)])
        XCTAssertEqual(try store.record([sent], now: 1001), [])
        let between = try XCTUnwrap(try store.action(id: source.id)).row
        XCTAssertEqual(between["outputs"]?["execute_notify_result"]?["3"]?["mail"]?.arrayValue?.first?["receiver"], "dave")
        // The source then records with the outputs it read at claim time: the result stays.
        var done = OutcomeResolver.resolve(action: source, outcome: .success("hook ok"), policy: .none, now: 1002, random: 0)
        done.keepNotifyResult = true
        XCTAssertEqual(try store.record([done], now: 1002), [])
        let row = try XCTUnwrap(try store.action(id: source.id)).row
        XCTAssertEqual(row["status"], "success")
        XCTAssertEqual(row["outputs"]?["execute_notify_result"]?["3"]?["mail"]?.arrayValue?.count, 1)
        XCTAssertEqual(row["outputs"]?["execute_notify_result"]?["3"]?["mail"]?.arrayValue?.first?["action_id"]?.intValue, notice.id)
    }

    /// A batch of outcomes numbers its changes from one look-up of the latest: each row gets its
    /// own number, in the order written, above every earlier one, with the stamps and merges a
    /// statement of their own numbers (Schema.nextChange) taking theirs in between.
    func testABatchOfOutcomes_numbersEachChangeInTheOrderWritten() throws {
        let ids = try store.insert([draft(), draft(), draft(), draft(), draft()], now: 1000).map { r -> Int64 in
            switch r { case .stored(let id), .duplicate(let id): return id }
        }
        let claimed = try store.claimDue(limit: 10, now: 1000, lease: 30, owner: "A").sorted { $0.id < $1.id }
        XCTAssertEqual(claimed.map(\.id), ids)
        func outcome(_ i: Int) -> ActionUpdate {
            OutcomeResolver.resolve(action: claimed[i], outcome: .success("ok \(i)"), policy: .none, now: 1001, random: 0)
        }
        XCTAssertEqual(try store.record([outcome(0)], now: 1001), [])
        var first = outcome(1)
        first.realStatusFor = [ids[4]]
        var second = outcome(2)
        second.notifyResult = ExecutionNotice.NotifyResult(sourceId: ids[4], step: "1", way: "mail", entry: ["receiver": "dave"])
        var lost = outcome(3)
        lost.leaseToken += 5
        XCTAssertEqual(try store.record([first, second, lost, outcome(4)], now: 1002), [ids[3]])
        let seq = try store.database.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT id, change_seq FROM action_instance").map { ($0["id"] as Int64, $0["change_seq"] as Int64?) })
        }
        // Row 4 was stamped (real_status) after the first outcome, merged into after the second,
        // and then recorded its own outcome: its number is the last.
        let order = [ids[0], ids[1], ids[2], ids[4]].compactMap { seq[$0] ?? nil }
        XCTAssertEqual(order.count, 4, "\(seq)")
        XCTAssertEqual(order, order.sorted(), "\(seq)")
        XCTAssertEqual(Set(order).count, 4, "\(seq)")
        XCTAssertEqual(seq[ids[4]] ?? nil, (seq[ids[2]] ?? nil).map { $0 + 2 }, "a number for the merge into row 4, then one for its outcome")
        XCTAssertNil(seq[ids[3]] ?? nil, "the lost outcome changed nothing")
    }

    func testSweep_timesOutLiveRows_fencesTheirWorker_andLeavesTerminalRowsAlone() throws {
        var d1 = draft(); d1.timeout = 60
        var d2 = draft(); d2.timeout = 60
        _ = try store.insert([d1, d2], now: 1000)
        let claimed = try store.claimDue(limit: 10, now: 1000, lease: 600, owner: "A")
        let done = OutcomeResolver.resolve(action: claimed[1], outcome: .success("ok"), policy: .none, now: 1001, random: 0)
        _ = try store.record([done], now: 1001)
        let report = try store.sweep(now: 1061)
        XCTAssertEqual(report.timedOut, [claimed[0].id])
        let late = OutcomeResolver.resolve(action: claimed[0], outcome: .success("late"), policy: .none, now: 1062, random: 0)
        XCTAssertEqual(try store.record([late], now: 1062), [claimed[0].id], "the sweep fenced the worker")
        XCTAssertEqual(try store.action(id: claimed[0].id)?.row["failure_type"], "timeout")
        XCTAssertEqual(try store.action(id: claimed[1].id)?.row["status"], "success")
        XCTAssertEqual(try store.sweep(now: 99999).timedOut, [])
    }

    func testAClaimedRowWithInvalidUTF8_isReadRepaired_withEveryOtherColumnIntact() throws {
        var d = draft()
        d.inputs = #"{"notice_way":"sms"}"#
        d.bkBizId = "2"
        guard case .stored(let id)? = try store.insert([d], now: 1000).first else { return XCTFail("not stored") }
        // Bytes no fta command writes: a hand edit, or a damaged page that still reads.
        try store.database.write { db in
            try db.execute(sql: "UPDATE action_detail SET alert = CAST(X'7B2261223A22FF227D' AS TEXT) WHERE id = ?", arguments: [id])
            try db.execute(sql: "UPDATE action_instance SET deadline_at = NULL WHERE id = ?", arguments: [id])
        }
        let claimed = try store.claimDue(limit: 10, now: 1000, lease: 30, owner: "A")
        XCTAssertEqual(claimed.count, 1)
        let a = try XCTUnwrap(claimed.first)
        XCTAssertEqual(a.id, id)
        XCTAssertEqual(a.text.alert, "{\"a\":\"\u{FFFD}\"}")
        XCTAssertEqual(a.text.inputs, #"{"notice_way":"sms"}"#)
        XCTAssertEqual(a.text.alerts, #"["a1"]"#)
        XCTAssertEqual(a.bkBizId, "2")
        XCTAssertEqual(a.pluginType, "webhook")
        XCTAssertEqual(a.signal, "abnormal")
        XCTAssertNil(a.deadlineAt)
        XCTAssertFalse(a.leaseWasExpired)
        XCTAssertEqual(a.leaseToken, 1)
    }

    /// The claim reuses a JSON column's text from the row before when the bytes are equal:
    /// every claimed action still reads exactly its own row, whether a column repeats, differs
    /// in one byte at the same length, is short, or was repaired from invalid UTF-8.
    func testClaimedRowsSharingColumns_eachReadTheirOwnTexts() throws {
        let config = #"{"id":7,"name":"hook","execute_config":{"template_detail":{"url":"http://h/x"}}}"#
        var drafts: [ActionDraft] = []
        for i in 0..<8 {
            var d = draft()
            d.dueAt = 900 + Int64(i)
            d.actionConfig = i == 5 ? config.replacingOccurrences(of: "http://h/x", with: "http://h/y") : config
            d.alert = #"{"id":"alert-\#(i % 3)","severity":2,"padding":"0123456789"}"#
            d.inputs = i < 4 ? #"{"notice_way":"sms","followed":false}"# : #"{"notice_way":"sms","followed":true}"#
            d.alerts = i % 2 == 0 ? #"["a1"]"# : #"["a2"]"#
            drafts.append(d)
        }
        let ids = try store.insert(drafts, now: 800).map { r -> Int64 in
            guard case .stored(let id) = r else { XCTFail("not stored"); return 0 }
            return id
        }
        // The fourth row's alert: the third's bytes with one made invalid (repaired on reading).
        try store.database.write { db in
            try db.execute(sql: "UPDATE action_detail SET alert = (SELECT alert FROM action_detail WHERE id = ?) WHERE id = ?", arguments: [ids[2], ids[3]])
            try db.execute(sql: "UPDATE action_detail SET alert = CAST(X'7B2261223A22FF30313233343536373839227D' AS TEXT) WHERE id IN (?, ?)",
                           arguments: [ids[6], ids[7]])
        }
        let claimed = try store.claimDue(limit: 10, now: 1000, lease: 30, owner: "A")
        XCTAssertEqual(claimed.map(\.id), ids)
        for (i, a) in claimed.enumerated() {
            let own = try XCTUnwrap(store.database.read { db in
                try Row.fetchOne(db, sql: "SELECT action_config, alert, inputs, alerts FROM action_detail WHERE id = ?", arguments: [a.id])
            })
            XCTAssertEqual(a.text.actionConfig, own["action_config"] as String, "row \(i)")
            XCTAssertEqual(a.text.inputs, own["inputs"] as String, "row \(i)")
            XCTAssertEqual(a.text.alerts, own["alerts"] as String, "row \(i)")
            if i >= 6 {
                XCTAssertEqual(a.text.alert, "{\"a\":\"\u{FFFD}0123456789\"}", "row \(i): repaired")
            } else {
                XCTAssertEqual(a.text.alert, own["alert"] as String, "row \(i)")
            }
        }
        XCTAssertTrue(claimed[5].text.actionConfig.contains("http://h/y"))
        XCTAssertTrue(claimed[6].text.actionConfig.contains("http://h/x"), "the row after a different one reads its own again")
        XCTAssertEqual(claimed[3].text.alert, claimed[2].text.alert)
        XCTAssertNotEqual(claimed[1].text.alert, claimed[0].text.alert, "same length, one byte apart")
    }

    func testRelease_givesTheRowBack_withItsDueTime() throws {
        var d = draft(); d.dueAt = 900
        _ = try store.insert([d], now: 800)
        let c = try store.claimDue(limit: 1, now: 1000, lease: 60, owner: "A")
        try store.release(c)
        let again = try store.claimDue(limit: 1, now: 1000, lease: 60, owner: "B")
        XCTAssertEqual(again.first?.cameDueAt, 900)
        XCTAssertFalse(again.first?.leaseWasExpired ?? true)
    }

    /// A claim of fewer rows than are due, among rows due at the same second, leases exactly
    /// the rows it returns, oldest first, and the next claim takes the rest.
    func testAClaimBelowWhatIsDue_amongTiedDueTimes_leasesExactlyTheRowsItReturns() throws {
        var drafts: [ActionDraft] = []
        for i in 0..<9 {
            var d = draft(); d.dueAt = i < 3 ? 900 : 950
            drafts.append(d)
        }
        _ = try store.insert(drafts, now: 800)
        let first = try store.claimDue(limit: 5, now: 1000, lease: 60, owner: "A")
        XCTAssertEqual(first.map(\.cameDueAt), [900, 900, 900, 950, 950])
        let leased = try Set(DatabaseTamper.scalar(dir.file("s.db"), "SELECT group_concat(id) FROM action_instance WHERE lease_owner = 'A'")?
            .split(separator: ",").map { Int64($0)! } ?? [])
        XCTAssertEqual(leased, Set(first.map(\.id)))
        XCTAssertTrue(first.allSatisfy { $0.leaseToken == 1 })
        let second = try store.claimDue(limit: 10, now: 1000, lease: 60, owner: "B")
        XCTAssertEqual(second.count, 4)
        XCTAssertTrue(Set(second.map(\.id)).isDisjoint(with: leased))
    }

    /// The claim and the timeout sweep, as the store runs them, read only the live-row index:
    /// an idle pass does not scan finished rows (BENCHMARKS.md measures the time).
    func testThePassQueries_readOnlyTheLiveRowIndex() throws {
        for (name, sql, args) in [("due rows", SQLiteStore.dueSQL, [5, 10] as StatementArguments),
                                  ("sweep", SQLiteStore.overdueSQL, [5] as StatementArguments)] {
            let plan = try store.queryPlan(sql, arguments: args)
            XCTAssertTrue(plan.contains { $0.contains("INDEX action_instance_due") }, "\(name): \(plan)")
            XCTAssertFalse(plan.contains { $0.hasPrefix("SCAN action_instance") && !$0.contains("INDEX") }, "\(name) scans the table: \(plan)")
            XCTAssertFalse(plan.contains { $0.contains("TEMP B-TREE") }, "\(name) sorts: \(plan)")
        }
        // The claim's UPDATE goes by the ids the due rows gave.
        // The due rows' details are looked up by id, never scanned (the plan names tables by alias).
        let due = try store.queryPlan(SQLiteStore.dueSQL, arguments: [5, 10])
        XCTAssertTrue(due.contains { $0.hasPrefix("SEARCH d USING INTEGER PRIMARY KEY") }, "due rows: \(due)")
        XCTAssertFalse(due.contains { $0.hasPrefix("SCAN") && !$0.contains("INDEX") }, "due rows scan a table: \(due)")
        let claim = try store.queryPlan(SQLiteStore.claimSQL, arguments: ["w", 65, "[1,2]"])
        XCTAssertTrue(claim.contains { $0.contains("INTEGER PRIMARY KEY") }, "claim: \(claim)")
        XCTAssertFalse(claim.contains { $0.hasPrefix("SCAN action_instance") }, "claim scans the table: \(claim)")
        XCTAssertFalse(claim.contains { $0.contains("TEMP B-TREE") }, "claim sorts: \(claim)")
        // Every exported update (Schema.nextChange) and the exporter read the change index only.
        for (name, sql, args) in [("latest change", Schema.latestChangeSQL, [] as StatementArguments),
                                  ("changes", "SELECT \(SQLiteStore.exportColumns) FROM \(Schema.fullView) a WHERE change_seq > ? ORDER BY change_seq LIMIT 10",
                                   [0] as StatementArguments)] {
            let plan = try store.queryPlan(sql, arguments: args)
            XCTAssertTrue(plan.contains { $0.contains("INDEX action_instance_change") }, "\(name): \(plan)")
            XCTAssertFalse(plan.contains { $0.hasPrefix("SCAN") && !$0.contains("INDEX") }, "\(name) scans a table: \(plan)")
            // (The converge sub-queries order a row's few relations; the rows themselves come in index order.)
            XCTAssertFalse(plan.prefix { !$0.hasPrefix("CORRELATED") }.contains { $0.contains("TEMP B-TREE") }, "\(name) sorts: \(plan)")
        }
        // fta-replay reads held rows by their index, and each one's detail by id.
        let held = try store.queryPlan(SQLiteStore.heldSQL, arguments: [])
        XCTAssertTrue(held.contains { $0.contains("INDEX action_instance_held") }, "held: \(held)")
        XCTAssertTrue(held.contains { $0.hasPrefix("SEARCH d USING INTEGER PRIMARY KEY") }, "held: \(held)")
        XCTAssertFalse(held.contains { $0.hasPrefix("SCAN") && !$0.contains("INDEX") }, "held scans a table: \(held)")
    }

    /// An action whose detail row is gone (no fta command leaves one so: a hand edit, a damaged
    /// page that still reads) is shown, claimed and exported with the detail's defaults instead
    /// of stopping the command.
    func testAnActionWithoutItsDetailRow_readsAsDefaults() throws {
        guard case .stored(let id)? = try store.insert([draft()], now: 1000).first else { return XCTFail("not stored") }
        try store.database.write { try $0.execute(sql: "DELETE FROM action_detail WHERE id = ?", arguments: [id]) }
        let shown = try XCTUnwrap(try store.action(id: id)).row
        XCTAssertEqual(shown["action_config"], .emptyObject)
        XCTAssertEqual(shown["alert_level"]?.intValue, 3)
        XCTAssertEqual(shown["status"]?.stringValue, "received")
        let exported = try XCTUnwrap(try store.exportRows(ids: [id]).first)
        XCTAssertEqual(exported.actionConfig, "{}")
        XCTAssertEqual(exported.strategyId, 0)
        let claimed = try store.claimDue(limit: 10, now: 1000, lease: 30, owner: "A")
        XCTAssertEqual(claimed.map(\.id), [id])
        XCTAssertEqual(claimed.first?.text.actionConfig, "")
    }

    /// A file made by an older fta: the first `version` migrations only.
    func olderFile(_ name: String, version: Int, _ fill: (Database) throws -> Void = { _ in }) throws -> String {
        let path = dir.file(name)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            for step in Schema.migrations[..<version] { try step(db) }
            try fill(db)
        }
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA user_version = \(version)") }
        try queue.close()
        return path
    }

    func testOpeningAnOlderSchema_appliesTheMissingMigrations() throws {
        let path = try olderFile("old.db", version: 1)
        let reopened = try FTADatabase(path: path)
        let (version, names) = try reopened.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA user_version"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name IN ('action_instance_parent', 'notice_dedupe', 'alert_cycle', 'user_group', 'duty_plan', 'tick_worker', 'action_detail') ORDER BY name"))
        }
        XCTAssertEqual(version, Schema.migrations.count)
        XCTAssertEqual(names, ["action_detail", "action_instance_parent", "alert_cycle", "duty_plan", "notice_dedupe", "tick_worker", "user_group"])
        // v8's change trigger was created on the way and v13 dropped it.
        XCTAssertEqual(try reopened.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'") }, 0)
    }

    /// v15 moves the creation-time JSON into `action_detail`: every action of an older file
    /// keeps every value, live rows stay claimable with their columns, and the indexes the
    /// pass relies on are rebuilt on the new table.
    func testAFileFromBeforeTheDetailTable_keepsEveryActionWhole() throws {
        let path = try olderFile("v14.db", version: 14) { db in
            try db.execute(sql: """
                INSERT INTO action_instance (id, signal, strategy_id, strategy, dimensions, alerts, status, create_time, update_time,
                    action_plugin, action_config, action_config_id, inputs, outputs, alert, dedupe_key, due_at, deadline_at, change_seq,
                    bk_biz_id, alert_level, strategy_relation_id, generate_uuid)
                VALUES (7, 'abnormal', 3, '{"id":3}', '[{"key":"ip"}]', '["a1"]', 'received', 100, 100,
                    '{"plugin_type":"webhook"}', '{"id":5}', 5, '{"notice_way":"sms"}', '{}', '{"id":"a1"}', 'k7', 100, 700, NULL,
                    '2', 1, 70, 'u7'),
                       (8, 'recovered', 4, '{"id":4}', '[]', '["a2"]', 'success', 90, 95,
                    '{"plugin_type":"notice"}', '{"id":6}', 6, '{}', '{"ok":1}', '{"id":"a2"}', NULL, NULL, NULL, 3,
                    '3', 2, 80, 'u8')
                """)
        }
        let store = try SQLiteStore(path: path)
        let rows = try TestDatabase(path: path).actions()
        XCTAssertEqual(rows.map(\.id), [7, 8])
        XCTAssertEqual(rows.map { $0.actionConfig["id"]?.intValue }, [5, 6])
        XCTAssertEqual(rows.map(\.pluginType), ["webhook", "notice"])
        XCTAssertEqual(rows.map(\.alerts), [["a1"], ["a2"]])
        XCTAssertEqual(rows.map(\.outputs), [.emptyObject, ["ok": 1]])
        XCTAssertEqual(rows.map { $0.inputs["notice_way"]?.stringValue }, ["sms", nil])
        XCTAssertEqual(rows.map(\.status), ["received", "success"])
        XCTAssertEqual(rows.map(\.bkBizId), ["2", "3"])
        XCTAssertEqual(rows.map(\.alertLevel), [1, 2])
        XCTAssertEqual(rows.map(\.strategyRelationId), [70, 80])
        XCTAssertEqual(rows.map(\.generateUUID), ["u7", "u8"])
        let claimed = try store.claimDue(limit: 10, now: 200, lease: 30, owner: "A")
        XCTAssertEqual(claimed.map(\.id), [7])
        XCTAssertEqual(claimed.first?.pluginType, "webhook")
        XCTAssertEqual(claimed.first?.strategyId, 3)
        XCTAssertEqual(claimed.first?.actionConfigId, 5)
        XCTAssertEqual(claimed.first?.bkBizId, "2")
        XCTAssertEqual(claimed.first?.text.actionConfig, #"{"id":5}"#)
        XCTAssertEqual(claimed.first?.text.strategy, #"{"id":3}"#)
        XCTAssertEqual(claimed.first?.text.alert, #"{"id":"a1"}"#)
        XCTAssertEqual(claimed.first?.text.dimensions, #"[{"key":"ip"}]"#)
        XCTAssertEqual(claimed.first?.text.alerts, #"["a1"]"#)
        // The de-dupe key is still unique, and the export still sees the finished row.
        var again = draft()
        again.dedupeKey = "k7"
        XCTAssertEqual(try store.insert([again], now: 300).first, .duplicate(7))
        XCTAssertEqual(try store.changes(after: SyncPosition(seq: 0), limit: 10, updatedSince: nil).map(\.actionConfig), [#"{"id":6}"#])
        // The row claims and outcomes rewrite holds none of what the detail holds.
        let rowColumns = try store.database.read { db in try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('action_instance')") }
        let detailColumns = try store.database.read { db in try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('action_detail') WHERE name != 'id'") }
        XCTAssertEqual(detailColumns.count, 19)
        XCTAssertEqual(Set(rowColumns).intersection(detailColumns), [])
        XCTAssertEqual(rowColumns.count, 24)
        let indexes = try store.database.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'action_instance' AND sql IS NOT NULL ORDER BY name")
        }
        XCTAssertEqual(indexes, ["action_instance_change", "action_instance_dedupe", "action_instance_due", "action_instance_held", "action_instance_parent"])
    }

    /// Since v13 each writer numbers its own changes; the guard of debug builds (which the tests
    /// run) refuses an update of an exported column without a new number, and lets the same
    /// update with ``Schema/nextChange`` through, numbered above every other.
    func testAnUnnumberedUpdateOfAnExportedColumn_isRefusedInDebugBuilds_aNumberedOneIsNot() throws {
        let path = dir.file("guard.db")
        let database = try FTADatabase(path: path)
        try database.write { db in
            try db.execute(sql: "INSERT INTO action_instance (id, signal, create_time, update_time, change_seq) VALUES (1, 'abnormal', 1, 1, 7), (2, 'abnormal', 1, 1, NULL)")
        }
        for column in Schema.exportedColumns {
            let value = ["status", "failure_type", "ex_data", "outputs", "real_status", "assignee"].contains(column) ? "'x'" : "5"
            XCTAssertThrowsError(try database.write { try $0.execute(sql: "UPDATE action_instance SET \(column) = \(value) WHERE id = 2") }, column) {
                XCTAssertTrue("\($0)".contains("without a new change_seq"), "\($0)")
            }
            try database.write { try $0.execute(sql: "UPDATE action_instance SET \(column) = \(value), \(Schema.nextChange) WHERE id = 2") }
        }
        let seq = try database.read { try Int64.fetchOne($0, sql: "SELECT change_seq FROM action_instance WHERE id = 2") }
        XCTAssertEqual(seq, 7 + Int64(Schema.exportedColumns.count), "each numbered update took the next number")
        // Columns the export does not read need no number (lease bookkeeping, scheduling).
        try database.write { try $0.execute(sql: "UPDATE action_instance SET lease_owner = 'w', due_at = 9, update_time = 2 WHERE id = 1") }
        // A detail's exported texts change only after the action row took the latest number.
        try database.write { try $0.execute(sql: "INSERT INTO action_detail (id) VALUES (1), (2)") }
        XCTAssertThrowsError(try database.write { try $0.execute(sql: "UPDATE action_detail SET inputs = '{\"a\":1}' WHERE id = 1") }) {
            XCTAssertTrue("\($0)".contains("without numbering the change on the action row first"), "\($0)")
        }
        try database.write { db in
            try db.execute(sql: "UPDATE action_instance SET \(Schema.nextChange) WHERE id = 1")
            try db.execute(sql: "UPDATE action_detail SET inputs = '{\"a\":1}', alerts = '[\"x\"]' WHERE id = 1")
        }
        // One statement numbering several rows would give them one number: refused.
        XCTAssertThrowsError(try database.write { try $0.execute(sql: "UPDATE action_instance SET status = 'y', \(Schema.nextChange)") }) {
            XCTAssertTrue("\($0)".contains("given to two rows"), "\($0)")
        }
    }
}

/// A pass's WAL checkpoints, run by a second connection on its own thread.
final class BackgroundCheckpointTests: TemporaryDirectoryCase {
    func walBytes(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// 300 commits of about three pages each: what the WAL file grows to.
    func walAfterCommits(background: Bool) throws -> (bytes: Int, rows: Int) {
        let path = dir.file(background ? "bg.db" : "none.db")
        let store = try SQLiteStore(path: path)
        try store.database.withoutTransaction { db in try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)") }
        if background {
            try store.database.useBackgroundCheckpoints(every: 10, limit: 40)
        } else {
            try store.database.setAutomaticCheckpoint(pages: 0)
        }
        let body = String(repeating: "x", count: 20_000)
        for i in 0..<300 {
            try store.database.write { db in try db.execute(sql: "INSERT INTO filler (id, body) VALUES (?, ?)", arguments: [i, body]) }
        }
        let bytes = walBytes(path)
        store.database.stopBackgroundCheckpoints()
        let rows = try store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM filler") ?? 0 }
        return (bytes, rows)
    }

    func testCommitsLeaveCheckpointsToTheSecondConnection_andTheWALStaysBounded() throws {
        let none = try walAfterCommits(background: false)
        let background = try walAfterCommits(background: true)
        XCTAssertEqual(none.rows, 300)
        XCTAssertEqual(background.rows, 300)
        // Without checkpoints the WAL holds every commit (~900 pages of 8 KiB); with them it is
        // started over once checkpointed, and never grows much past the 40-frame limit.
        XCTAssertGreaterThan(none.bytes, 600 * 8192)
        XCTAssertLessThan(background.bytes, 60 * 8232, "WAL of \(background.bytes) bytes")
    }

    func testStopping_putsBackSQLitesAutomaticCheckpoint() throws {
        let path = dir.file("stop.db")
        let store = try SQLiteStore(path: path)
        try store.database.withoutTransaction { db in try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)") }
        try store.database.useBackgroundCheckpoints(every: 10, limit: 40)
        store.database.stopBackgroundCheckpoints()
        let body = String(repeating: "x", count: 20_000)
        for i in 0..<1500 {
            try store.database.write { db in try db.execute(sql: "INSERT INTO filler (id, body) VALUES (?, ?)", arguments: [i, body]) }
        }
        // The automatic checkpoint (every 1,000 frames) restarts the WAL: about 4,500 pages
        // written, far fewer in the file; and more than the stopped hook's 40-frame limit would
        // have let it grow to.
        XCTAssertLessThan(walBytes(path), 1300 * 8232)
        XCTAssertGreaterThan(walBytes(path), 200 * 8192, "the hook no longer checkpoints")
    }
}
