@testable import FTACore
import XCTest

/// The converge functions (original-system.md §6.2) and converge configs, as pure rules.
final class ConvergeRulesTests: XCTestCase {
    func d(_ f: String, new: Bool = false, _ executed: [ActionStatus], count: Int = 1) -> ConvergeDecision {
        ConvergeRules.decide(f, isNew: new, executed: executed, count: count)
    }

    func testFunctions() {
        XCTAssertEqual(d("skip_when_success", []), .execute)
        XCTAssertEqual(d("skip_when_success", [.running]), .sleep)
        XCTAssertEqual(d("skip_when_success", [.failure, .success]), .skipped)
        XCTAssertEqual(d("skip_when_success", [.failure]), .execute)
        XCTAssertEqual(d("approve_when_failed", [.failure]), .waiting)
        XCTAssertEqual(d("approve_when_failed", []), .execute, "the first one runs")
        XCTAssertEqual(d("skip_when_proceed", [.running]), .skipped)
        XCTAssertEqual(d("skip_when_proceed", [.success]), .skipped, "one that just finished counts too (the original's never-true branch)")
        XCTAssertEqual(d("skip_when_proceed", [.failure]), .execute)
        XCTAssertEqual(d("wait_when_proceed", [.sleep]), .sleep)
        XCTAssertEqual(d("wait_when_proceed", [.success]), .execute)
        XCTAssertEqual(d("defense", new: true, [.success, .success]), .execute)
        XCTAssertEqual(d("defense", [.success], count: 2), .execute)
        XCTAssertEqual(d("defense", [.success, .failure], count: 2), .waiting)
        XCTAssertEqual(d("skip_when_exceed", [.success, .running], count: 2), .skipped)
        XCTAssertEqual(d("trigger", new: true, []), .execute)
        XCTAssertEqual(d("trigger", [.success]), .skipped)
        XCTAssertEqual(d("relevance", [.running]), .execute)
    }

    func testConfigs() throws {
        XCTAssertNil(try ConvergeConfig.parse(nil, isNotice: false))
        XCTAssertNil(try ConvergeConfig.parse(["is_enabled": true, "timedelta": 0, "count": 1], isNotice: false), "timedelta <= 0 does not converge")
        XCTAssertNil(try ConvergeConfig.parse(["is_enabled": false, "count": 1], isNotice: false))
        XCTAssertNil(try ConvergeConfig.parse(["timedelta": 120, "count": 1], isNotice: false), "without is_enabled: not converged, as the original")
        XCTAssertNotNil(try ConvergeConfig.parse(["is_enabled": true, "timedelta": 120, "count": 1], isNotice: false))
        XCTAssertThrowsError(try ConvergeConfig.parse(["converge_func": "panic"], isNotice: false)) { e in
            XCTAssertEqual((e as? FieldError)?.field, "converge_config.converge_func")
        }
        let c = try XCTUnwrap(ConvergeConfig.parse(["is_enabled": true, "timedelta": 120, "count": 2, "converge_func": "defense",
                                                    "condition": [["dimension": "strategy_id", "value": ["self"]], ["dimension": "bk_biz_id", "value": ["2"]]]],
                                                   isNotice: false))
        XCTAssertEqual(c.dimension(for: ["strategy_id": "7", "bk_biz_id": "2"]), "#defense|bk_biz_id:2|strategy_id:7")
        XCTAssertNil(c.dimension(for: ["strategy_id": "7", "bk_biz_id": "3"]), "business 3 is not among the condition's values")
        let notice = try XCTUnwrap(ConvergeConfig.parse(["is_enabled": true, "count": 1], isNotice: true))
        XCTAssertEqual(notice.conditions.map(\.dimension), ["notice_info"])
        let long = notice.dimension(for: ["notice_info": String(repeating: "x", count: 300)])!
        XCTAssertLessThanOrEqual(long.utf8.count, 128)
    }

    func testTheOriginalsNoticeRule_120SecondsCountOne_noticeInfoAddedToTheConfigsDimensions() throws {
        let config: JSONValue = ["is_enabled": true, "timedelta": 600, "count": 5, "max_timedelta": 900, "converge_func": "collect",
                                 "condition": [["dimension": "strategy_id", "value": ["self"]], ["dimension": "notice_way", "value": ["self"]]]]
        let forced = try XCTUnwrap(ConvergeConfig.parse(config, isNotice: true, forcedNotice: true))
        XCTAssertEqual(forced.timedelta, 120)
        XCTAssertEqual(forced.count, 1)
        XCTAssertEqual(forced.maxTimedelta, 900, "the longest window stays the config's")
        XCTAssertEqual(forced.conditions.map(\.dimension), ["notice_info", "notice_way", "strategy_id"])
        XCTAssertEqual(forced.function, "collect")
        let asWritten = try XCTUnwrap(ConvergeConfig.parse(config, isNotice: true))
        XCTAssertEqual([asWritten.timedelta, Int64(asWritten.count)], [600, 5])
        XCTAssertEqual(asWritten.conditions.map(\.dimension), ["notice_way", "strategy_id"])
        XCTAssertNil(try ConvergeConfig.parse(config.setting("is_enabled", false), isNotice: true, forcedNotice: true), "still only when enabled")

        // The pass applies it to notice children only, and only under the original's rule.
        var child = ClaimedAction(id: 1, leaseToken: 1, pluginType: "notice")
        child.text.inputs = #"{"converge_config":\#(config.jsonText),"notice_way":"mail","notice_receiver":"alice"}"#
        guard case .ready(let c, _) = ConvergeRules.prepare(child, now: 0, notices: .original) else { return XCTFail("converges") }
        XCTAssertEqual(c.count, 1)
        guard case .ready(let d, _) = ConvergeRules.prepare(child, now: 0, notices: .configured) else { return XCTFail("converges") }
        XCTAssertEqual(d.count, 5)
        var hook = child
        hook.pluginType = "webhook"
        guard case .ready(let w, _) = ConvergeRules.prepare(hook, now: 0, notices: .original) else { return XCTFail("converges") }
        XCTAssertEqual(w.count, 5, "other actions keep their config")
    }

    func testVoiceNoticeChildren_neverConverge_otherWaysDo() {
        var a = ClaimedAction(id: 1, leaseToken: 1, pluginType: "notice")
        a.text.inputs = #"{"converge_config":{"is_enabled":true,"count":1},"notice_way":"voice","notice_receiver":["alice"]}"#
        XCTAssertFalse(ConvergeRules.needsConverge(a))
        a.text.inputs = #"{"converge_config":{"is_enabled":true,"count":1},"notice_way":"mail","notice_receiver":"alice"}"#
        XCTAssertTrue(ConvergeRules.needsConverge(a))
    }
}
