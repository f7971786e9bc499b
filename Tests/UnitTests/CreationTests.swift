@testable import FTACore
import XCTest

/// The creation stage and the interval rule, without a database.
final class CreationTests: XCTestCase {
    func testCalcActionInterval_standardAndIncreasing() {
        let standard: JSONValue = ["notify_interval": 60]
        let increasing: JSONValue = ["notify_interval": 60, "interval_notify_mode": "increasing"]
        XCTAssertEqual((1...4).map { IntervalRule.interval(templateDetail: standard, rounds: $0) }, [60, 60, 60, 60])
        XCTAssertEqual((1...4).map { IntervalRule.interval(templateDetail: increasing, rounds: $0) }, [60, 120, 240, 480])
        XCTAssertEqual(IntervalRule.interval(templateDetail: ["notify_interval": 0], rounds: 1), 0)
        XCTAssertEqual(IntervalRule.interval(templateDetail: nil, rounds: 1), 0)
        XCTAssertGreaterThan(IntervalRule.interval(templateDetail: increasing, rounds: 200), 0, "no overflow for very long alerts")
    }

    func testNeedPoll() {
        let detail: JSONValue = ["notify_interval": 60]
        XCTAssertTrue(IntervalRule.needPoll(templateDetail: detail, alertCount: 1, isParent: true, noticeType: "normal"))
        XCTAssertFalse(IntervalRule.needPoll(templateDetail: detail, alertCount: 1, isParent: false, noticeType: "normal"), "actions repeat only with need_poll")
        XCTAssertTrue(IntervalRule.needPoll(templateDetail: ["need_poll": true], alertCount: 1, isParent: false, noticeType: "normal"))
        XCTAssertFalse(IntervalRule.needPoll(templateDetail: ["need_poll": false], alertCount: 1, isParent: true, noticeType: "normal"))
        XCTAssertFalse(IntervalRule.needPoll(templateDetail: detail, alertCount: 2, isParent: true, noticeType: "normal"))
        XCTAssertFalse(IntervalRule.needPoll(templateDetail: detail, alertCount: 1, isParent: true, noticeType: "upgrade"))
    }

    func stage() -> CreationStage {
        var directory = UserDirectory()
        for u in ["alice", "bob", "carol"] { directory.users[u] = UserContact(id: u, addresses: ["email": "\(u)@example.com", "phone": "1"]) }
        directory.groups["ops"] = UserGroup(id: "ops", users: ["alice", "bob"], noticeWays: [0: ["mail", "voice"]])
        directory.groups["dba"] = UserGroup(id: "dba", users: ["bob", "carol"], noticeWays: [0: ["voice"], 1: ["sms"]])
        return CreationStage(configs: [1: ["id": 1, "plugin_type": "notice", "execute_config": ["template_detail": ["voice_notice": "serial", "notify_interval": 60]]]],
                             directory: directory)
    }

    func event(_ signal: String = "abnormal", severity: Int64 = 2, groups: [JSONValue] = ["ops", "dba"]) throws -> AlertEvent {
        try AlertEvent.parse([
            "signal": .string(signal), "alert": ["id": "a-1", "severity": .int(severity), "status": "ABNORMAL", "begin_time": 1000],
            "strategy": ["id": 7, "notice": ["id": 70, "config_id": 1, "signal": ["abnormal"], "user_groups": .array(groups)]],
        ])
    }

    func testSerialVoice_mergesTheGroupsListsIntoOneChild_andLevelsPickWays() throws {
        let plan = try stage().plan(try event(), now: 1000)
        XCTAssertEqual(plan.families.count, 1)
        let children = plan.families[0].children.map { try! JSONParser.parse($0.inputs) }
        let voice = children.filter { $0["notice_way"] == "voice" }
        XCTAssertEqual(voice.map { $0["notice_receiver"]! }, [["alice", "bob", "carol"]])
        XCTAssertEqual(children.filter { $0["notice_way"] == "mail" }.count, 2)
        XCTAssertEqual(plan.families[0].repeatAfter, 60)
        // Fatal: dba's level-1 ways (sms) instead of its default (voice).
        let fatal = try stage().plan(try event(severity: 1), now: 1000).families[0].children.map { try! JSONParser.parse($0.inputs)["notice_way"]!.stringValue! }
        XCTAssertEqual(Set(fatal), ["mail", "voice", "sms"])
    }

    func testKeysAndBatchIdAreStable_andDifferPerRound() throws {
        let s = stage()
        let a = try s.plan(try event(), now: 1000).families[0]
        let b = try s.plan(try event(), now: 5000).families[0]
        XCTAssertEqual(a.action.dedupeKey, b.action.dedupeKey, "the same event, ingested later, has the same key")
        XCTAssertEqual(a.action.generateUUID, b.action.generateUUID)
        var next = try event()
        next.round = 1
        XCTAssertNotEqual(try s.plan(next, now: 1000).families[0].action.dedupeKey, a.action.dedupeKey)
        XCTAssertEqual(Set(a.children.compactMap(\.dedupeKey)).count, a.children.count, "children's keys are distinct")
    }

    func testDisabledConfig_andSignalNotListed_areNotesNotErrors() throws {
        var s = stage()
        s.configs[1] = s.configs[1]!.setting("is_enabled", false)
        let disabled = try s.plan(try event(), now: 1000)
        XCTAssertTrue(disabled.families.isEmpty)
        XCTAssertEqual(disabled.notes, ["action config 1 is disabled: strategy.notice skipped"])
        let recovered = try stage().plan(try event("recovered"), now: 1000)
        XCTAssertTrue(recovered.families.isEmpty)
        XCTAssertTrue(recovered.stopsRepeats)
    }

    func testBadEventFields_nameTheField() {
        func error(_ v: JSONValue) -> String {
            do { _ = try AlertEvent.parse(v); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(error(["alert": ["id": "x"]]), "signal: missing (one of abnormal, ack, closed, manual, no_data, recovered)")
        XCTAssertEqual(error(["signal": "boom", "alert": ["id": "x"]]).prefix(40), "signal: 'boom' is not an event signal (o")
        XCTAssertEqual(error(["signal": "abnormal"]), "alert: missing")
        XCTAssertEqual(error(["signal": "abnormal", "alert": ["severity": 1]]), "alert.id: missing")
        XCTAssertEqual(error(["signal": "abnormal", "alert": ["id": "x"], "strategy": ["notice": ["signal": ["abnormal"]]]]), "strategy.notice.config_id: missing")
        XCTAssertEqual(error(["signal": "abnormal", "alert": ["id": "x"], "strategy": ["actions": [["config_id": 2, "user_groups": "ops"]]]]),
                       "strategy.actions[0].user_groups: expected a list of user group ids")
    }
}

final class BreakerMatchingTests: XCTestCase {
    func rule(_ key: String, _ method: String, _ values: [String], _ condition: String = "and") -> BreakerRule {
        BreakerRule(key: key, method: method, values: values, condition: condition)
    }

    func testFoldingIntoOrOfAndGroups_andMissingDimensionsNeverMatch() {
        let m = BreakerMatcher(rules: [rule("strategy_id", "eq", ["1"], "or"), rule("bk_biz_id", "eq", ["2"]), rule("plugin_type", "eq", ["webhook"], "or")])
        XCTAssertNotNil(m.match(["strategy_id": ["1"], "bk_biz_id": ["2"]]))
        XCTAssertNil(m.match(["strategy_id": ["1"], "bk_biz_id": ["3"]]))
        XCTAssertNotNil(m.match(["strategy_id": ["9"], "plugin_type": ["webhook"]]))
        XCTAssertNil(m.match(["bk_biz_id": ["2"]]), "strategy_id missing: the first group cannot match")
        XCTAssertNil(BreakerMatcher(rules: []).match(["strategy_id": ["1"]]))
    }

    func testMethods() {
        let d: [String: [String]] = ["strategy_id": ["12345"], "strategy_source": ["bk_monitor:time_series"]]
        XCTAssertTrue(rule("strategy_id", "eq", ["1", "12345"]).holds(d["strategy_id"]))
        XCTAssertTrue(rule("strategy_id", "neq", ["1"]).holds(d["strategy_id"]))
        XCTAssertTrue(rule("strategy_source", "include", ["time_series"]).holds(d["strategy_source"]))
        XCTAssertFalse(rule("strategy_source", "exclude", ["time_series"]).holds(d["strategy_source"]))
        XCTAssertTrue(rule("strategy_id", "reg", ["^123"]).holds(d["strategy_id"]))
        XCTAssertFalse(rule("strategy_id", "nreg", ["^123"]).holds(d["strategy_id"]))
        XCTAssertTrue(rule("strategy_id", "gt", ["100"]).holds(d["strategy_id"]))
        XCTAssertFalse(rule("strategy_id", "lt", ["100"]).holds(d["strategy_id"]))
        XCTAssertTrue(rule("strategy_id", "gte", ["12345"]).holds(d["strategy_id"]))
        XCTAssertTrue(rule("strategy_id", "issuperset", ["12345"]).holds(d["strategy_id"]))
        XCTAssertFalse(rule("strategy_id", "eq", ["1"]).holds(nil))
    }

    func testDimensions_fromTheStrategysFirstQueryConfig() {
        let strategy: JSONValue = ["items": [["query_configs": [["data_source_label": "bk_monitor", "data_type_label": "time_series"]]]]]
        let d = BreakerMatcher.dimensions(strategyId: 0, bkBizId: "2", strategy: strategy, pluginKey: "sops_common")
        XCTAssertEqual(d["strategy_id"], ["0"], "included even when 0")
        XCTAssertEqual(d["strategy_source"], ["bk_monitor:time_series"])
        XCTAssertEqual(d["plugin_type"], ["sops_common"])
        XCTAssertNil(BreakerMatcher.dimensions(strategyId: 1, bkBizId: "", strategy: [:], pluginKey: "webhook")["strategy_source"])
    }

    func testDurations() {
        XCTAssertEqual(["90", "90s", "30m", "2h", "1d"].map { TimeParser.duration($0) }, [90, 90, 1800, 7200, 86400])
        XCTAssertNil(TimeParser.duration("soon"))
        XCTAssertNil(TimeParser.duration("-5m"))
    }
}
