import Foundation
@testable import FTAActions
@testable import FTACore
@testable import FTATemplates
import XCTest

/// The original's template variables and representative default templates, for one fixed alert,
/// against what an independent Python implementation of the original's rules and Jinja2 give
/// (Tests/Support/original_expected.py, output committed).
/// The fixed alert, strategy, action and settings of Tests/Support/original_expected.json.
struct OriginalFixture {
    let data: JSONValue

    init() throws {
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
}

final class OriginalContextTests: XCTestCase {
    var fixture: OriginalFixture!
    var data: JSONValue { fixture.data }

    override func setUpWithError() throws { fixture = try OriginalFixture() }

    func action(way: String) throws -> ClaimedAction { try fixture.action(way: way) }
    func settings(_ language: String) throws -> OriginalContext.Settings { try fixture.settings(language) }

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

/// `templates.style: original`: the two stages of the original's notices.
final class OriginalNoticeStyleTests: XCTestCase {
    func render(signal: String = "abnormal", way: String, language: NoticeTemplates.Language = .zh,
                action: JSONValue? = nil) throws -> (title: String, content: String) {
        let suite = try OriginalFixture()
        let a = try suite.action(way: way)
        var templates = NoticeTemplates(language: language)
        templates.style = .original
        templates.context = try suite.settings(language.rawValue)
        return try NoticeRendering.render(templates: templates, signal: signal, way: way, level: 1,
                                          base: { ActionContext.build(a, original: $0 ? templates.context : nil, now: 1_795_000_400) },
                                          actionTemplates: action, renderer: TemplateRenderer())
    }

    let rows = """
        内容: 已持续1h 2m, AVG(CPU使用率) >= 95.0%, 当前值96.3%
        所属空间: [2]蓝鲸 (业务)
        目标: 10.0.0.1:0
        维度: 云区域ID=0,目标IP=10.0.0.1,网卡=eth0
        """

    func testSMS_weixin_voice_withTheDefaultUserTemplates() throws {
        let sms = try render(way: "sms")
        XCTAssertEqual(sms.title, "蓝鲸监控 ｜ 蓝鲸 - CPU usage high 发生告警")
        XCTAssertEqual(sms.content, "蓝鲸监控通知，[致命]CPU usage high\n" + rows + "\n告警ID: 16f8a1c2")
        let weixin = try render(way: "weixin")
        XCTAssertTrue(weixin.content.hasPrefix("[致命] CPU usage high\n首次异常: 2026-11-18 19:06:40+0800\n最近异常: 2026-11-18 20:08:43+0800\n" + rows),
                      weixin.content)
        XCTAssertTrue(weixin.content.contains("详情: https://bk.example.com/o/bk_monitorv3/?bizId=2#/trace/alarm-center"), weixin.content)
        XCTAssertEqual(try render(way: "voice").content, "蓝鲸监控通知，当前蓝鲸业务CPU usage high下发生致命告警")
        let recovered = try render(signal: "recovered", way: "sms")
        XCTAssertTrue(recovered.content.hasPrefix("蓝鲸监控通知，[已恢复][致命]CPU usage high\n"), recovered.content)
        XCTAssertEqual(try render(signal: "closed", way: "voice").content, "蓝鲸监控通知，当前蓝鲸业务CPU usage high下发生致命告警已关闭")
    }

    func testMailAndMarkdown_andEnglish() throws {
        let mail = try render(way: "mail")
        XCTAssertEqual(mail.title, "【致命】蓝鲸 - CPU usage high 发生告警")
        XCTAssertTrue(mail.content.contains("<span style=\"color: #EA3636;\">【致命】</span>蓝鲸 - CPU usage high 发生告警"), mail.content)
        XCTAssertTrue(mail.content.contains("<td style=\"color: #979BA5\">当前值: </td><td>96.3%</td>"), mail.content)
        XCTAssertEqual(try render(signal: "recovered", way: "mail").title, "【已恢复】【致命】蓝鲸 - CPU usage high 发生告警")
        let md = try render(way: "wxwork-bot")
        XCTAssertTrue(md.content.hasPrefix("**`[致命]` CPU usage high**"), md.content)
        XCTAssertTrue(md.content.contains("**内容: **已持续1h 2m"), md.content)
        XCTAssertTrue(md.content.hasSuffix("[查看详情](https://bk.example.com/o/bk_monitorv3/?bizId=2#/trace/alarm-center?queryString=action_id%20%3A%20179500035041&filterMode=queryString)"), md.content)
        let en = try render(way: "sms", language: .en)
        XCTAssertEqual(en.title, "BK Monitor ｜ BlueKing - CPU usage high Alarm Occurs")
        XCTAssertTrue(en.content.hasPrefix("BK Monitor notice: [Emergency]CPU usage high\nContent: Continue 1h 2m, "), en.content)
    }

    func testAPackagesOwnTemplates_areTheFirstStage() throws {
        let own: JSONValue = [["signal": "abnormal", "title_tmpl": "{{ alarm.name }} on {{ alarm.target_string }}",
                               "message_tmpl": "{{ content.content }}\n\n{{ content.target }}"]]
        let sms = try render(way: "sms", action: own)
        XCTAssertEqual(sms.title, "蓝鲸监控 ｜ CPU usage high on 10.0.0.1:0")
        XCTAssertEqual(sms.content, "蓝鲸监控通知，[致命]CPU usage high\n内容: 已持续1h 2m, AVG(CPU使用率) >= 95.0%, 当前值96.3%\n目标: 10.0.0.1:0")
        // Other signals keep fta's texts.
        XCTAssertEqual(try render(signal: "ack", way: "sms").title, "【致命】已确认：CPU usage high")
    }
}

final class OriginalReferenceTests: XCTestCase {
    func testOnlyTopLevelNamesCount_soFtasOwnTemplatesBuildNothingMore() {
        XCTAssertTrue(OriginalContext.isReferenced(in: "{{ alarm.name }}"))
        XCTAssertTrue(OriginalContext.isReferenced(in: "{{level_name}}"))
        XCTAssertTrue(OriginalContext.isReferenced(in: "{% if content.detail %}x{% endif %}"))
        XCTAssertTrue(OriginalContext.isReferenced(in: "{{ strategy.item.name }}"))
        XCTAssertFalse(OriginalContext.isReferenced(in: "{{ notice.level_name }} {{ alert.alert_name }} {{ strategy.name }}"))
        // The snapshot's own labels are what templates get: naming them builds nothing more.
        XCTAssertFalse(OriginalContext.isReferenced(in: "{{ strategy.labels|join(\",\") }}"))
        XCTAssertFalse(OriginalContext.isReferenced(in: "{{ notice.alarms }} {{ my_content }}"))
        for table in [NoticeTemplates.defaults, NoticeTemplates.digestDefaults, NoticeTemplates.executionDefaults] {
            for (_, kinds) in table {
                for (_, pair) in kinds {
                    XCTAssertFalse(OriginalContext.isReferenced(in: pair.title) || OriginalContext.isReferenced(in: pair.content), pair.content)
                }
            }
        }
    }
}

final class OriginalContextHostileTests: XCTestCase {
    func testExtremeTimesAndMarkupInAlertFields_neitherCrashNorInject() throws {
        var a = ClaimedAction(id: 1, leaseToken: 1, createTime: 1_795_000_000, pluginType: "notice")
        a.text.inputs = #"{"notice_way":"mail"}"#
        let alert: JSONValue = ["id": "x", "first_anomaly_time": .int(Int64.min), "latest_time": .int(Int64.max), "duration": .int(Int64.max),
                                "begin_time": "-9223372036854775808", "event": ["description": "<a href=//evil>reset</a>"]]
        a.text.alert = alert.jsonText
        var s = OriginalContext.Settings()
        s.timezone = "UTC"
        let built = OriginalContext.build(a, alert: alert, strategy: .object([:]), alerts: .array([]), now: 1_795_000_100, settings: s)
        let content = try XCTUnwrap(built.members["content"]?["content"]?.stringValue)
        XCTAssertTrue(content.contains("&lt;a href=//evil&gt;reset&lt;/a&gt;"), content)
        XCTAssertFalse(content.contains("<a href"), content)
        // Held to the checked range: the duration is the range's end, its text the first two units.
        XCTAssertEqual(built.members["alarm"]?["duration"], .int(InputLimits.time.upperBound))
        XCTAssertEqual(built.members["alarm"]?["duration_string"], "2932896d 23h")
    }
}
