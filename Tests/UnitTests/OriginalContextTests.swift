import Foundation
@testable import FTAActions
@testable import FTACore
@testable import FTATemplates
import XCTest

/// The original's template variables and representative default templates, for one fixed alert,
/// against what an independent Python implementation of the original's rules and Jinja2 give
/// (Tests/Support/original_expected.py, output committed).
final class OriginalContextTests: XCTestCase {
    var data: JSONValue!

    override func setUpWithError() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/original_expected.json")
        data = try JSONParser.parse(try String(contentsOf: url, encoding: .utf8))
    }

    func action(way: String) throws -> ClaimedAction {
        let spec = try XCTUnwrap(data["action"])
        var a = ClaimedAction(id: try XCTUnwrap(spec["id"]?.intValue), leaseToken: 1, signal: "abnormal", status: .running,
                              createTime: try XCTUnwrap(spec["create_time"]?.intValue), pluginType: "notice")
        a.strategyId = 7
        a.bkBizId = "2"
        a.alertLevel = 1
        a.text.alert = try XCTUnwrap(data["alert"]).jsonText
        a.text.strategy = try XCTUnwrap(data["strategy"]).jsonText
        a.text.alerts = JSONValue.array([try XCTUnwrap(data["alert"]?["id"])]).jsonText
        a.text.inputs = JSONValue.object(["notice_way": .string(way)]).jsonText
        a.text.actionConfig = try XCTUnwrap(spec["action_config"]).jsonText
        a.text.actionPlugin = try XCTUnwrap(spec["action_plugin"]).jsonText
        a.text.assignee = try XCTUnwrap(spec["assignee"]).jsonText
        return a
    }

    func settings(_ language: String) throws -> OriginalContext.Settings {
        let spec = try XCTUnwrap(data["settings"]?[language])
        var s = OriginalContext.Settings()
        s.language = NoticeTemplates.Language(rawValue: language)!
        s.timezone = spec["timezone"]?.stringValue
        s.siteURL = spec["site_url"]?.stringValue
        for (k, v) in spec["business_names"]?.objectValue ?? [:] { s.businessNames[k] = v.stringValue }
        return s
    }

    func testTheOriginalsDefaultTemplates_renderAsJinja2RendersThemWithTheOriginalsVariables() throws {
        let cases = try XCTUnwrap(data["cases"]?.arrayValue)
        XCTAssertGreaterThanOrEqual(cases.count, 80)
        let renderer = TemplateRenderer()
        let now = try XCTUnwrap(data["now"]?.intValue)
        for c in cases {
            let language = try XCTUnwrap(c["language"]?.stringValue), way = try XCTUnwrap(c["way"]?.stringValue)
            let name = "\(language)/\(way)/\(c["name"]?.stringValue ?? "?")"
            let context = ActionContext.build(try action(way: way), original: try settings(language), now: now)
            var out = try renderer.render(try XCTUnwrap(c["template"]?.stringValue), field: name, context: TemplateRenderer.Context(context))
            if c["name"] == "user_content" {
                if way != "wxwork-bot" { out = out.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.joined(separator: "\n") }
                XCTAssertEqual(context["user_content"]?.stringValue, c["expected"]?.stringValue, "\(name): the variable")
            }
            XCTAssertEqual(out, c["expected"]?.stringValue, name)
        }
    }

    func testTheVariables_asTheOriginalComputesThem() throws {
        let now = try XCTUnwrap(data["now"]?.intValue)
        for (key, expected) in try XCTUnwrap(data["variables"]?.objectValue) {
            let parts = key.split(separator: "/").map(String.init)
            let context = ActionContext.build(try action(way: parts[1]), original: try settings(parts[0]), now: now)
            for group in ["alarm", "content", "business", "action_instance"] {
                for (name, value) in expected[group]?.objectValue ?? [:] {
                    XCTAssertEqual(context[group]?[name], value, "\(key) \(group).\(name)")
                }
            }
            for name in ["level_name", "level_color", "notice_way", "notice_title", "user_content"] {
                XCTAssertEqual(context[name], expected[name], "\(key) \(name)")
            }
            XCTAssertEqual(context["strategy"]?["item"], expected["strategy"]?["item"], "\(key) strategy.item")
        }
    }

    func testFormats_durationsTimesAndPythonJSON() {
        XCTAssertEqual(OriginalContext.hms(3723), "1h 2m")
        XCTAssertEqual(OriginalContext.hms(3605), "1h 5s")
        XCTAssertEqual(OriginalContext.hms(93784), "1d 2h")
        XCTAssertEqual(OriginalContext.hms(60), "1m")
        XCTAssertEqual(OriginalContext.hms(0), "0s")
        let shanghai = ZoneClock(identifier: "Asia/Shanghai")
        XCTAssertEqual(OriginalContext.local(1_795_000_000, zone: shanghai, colon: false), "2026-11-18 19:06:40+0800")
        XCTAssertEqual(OriginalContext.local(1_795_000_000, zone: shanghai, colon: true), "2026-11-18 19:06:40+08:00")
        XCTAssertEqual(OriginalContext.utc(1_795_000_000), "2026-11-18 11:06:40")
        let text = OriginalContext.PythonJSON.object([("b", .value(["z": 1, "a": [true, .null]])), ("a", .value("蓝\"\n\u{7f}😀"))]).text
        XCTAssertEqual(text, #"{"b": {"a": [true, null], "z": 1}, "a": "\u84dd\"\n\u007f\ud83d\ude00"}"#)
    }
}
