@testable import FTAConfig
@testable import FTACore
@testable import FTATemplates
import XCTest

final class NoticeTemplateTests: XCTestCase {
    let base: JSONValue = [
        "alert": ["id": "a-1", "alert_name": "CPU usage high <prod>", "severity": 1, "begin_time": 1_795_000_000, "latest_time": 1_795_000_600,
                  "dimensions": [["key": "ip", "display_key": "IP", "value": "10.0.0.1", "display_value": "10.0.0.1"]],
                  "event": ["bk_biz_id": 2]],
        "strategy": ["name": "cpu"],
        "action": ["id": 9, "bk_biz_id": "2"],
    ]

    func render(_ t: NoticeTemplates, signal: String = "abnormal", way: String, action: JSONValue? = nil) throws -> (title: String, content: String) {
        try NoticeRendering.render(templates: t, signal: signal, way: way, level: 1, base: { _ in self.base }, actionTemplates: action, renderer: TemplateRenderer())
    }

    func testDefaults_perWayKind_inEnglish() throws {
        let sms = try render(NoticeTemplates(), way: "sms")
        XCTAssertEqual(sms.content, "[fatal] alert: CPU usage high <prod> (IP=10.0.0.1) since 2026-11-18 11:06:40 UTC")
        XCTAssertEqual(sms.title, "[fatal] alert: CPU usage high <prod>")
        let mail = try render(NoticeTemplates(), way: "mail")
        XCTAssertTrue(mail.content.contains("CPU usage high &lt;prod&gt;"), "HTML-escaped in mail: \(mail.content)")
        XCTAssertTrue(mail.content.contains("<td>Dimensions</td><td>IP=10.0.0.1</td>"))
        let bot = try render(NoticeTemplates(), signal: "recovered", way: "wxwork-bot")
        XCTAssertTrue(bot.content.hasPrefix("**[fatal] recovered: CPU usage high <prod>**\n> Business: 2"), bot.content)
        let im = try render(NoticeTemplates(), way: "weixin")
        XCTAssertTrue(im.content.contains("Alert id: a-1"))
    }

    func testDefaults_inChinese_andNoDataUsesAbnormalTemplates() throws {
        let sms = try render(NoticeTemplates(language: .zh), signal: "no_data", way: "sms")
        XCTAssertEqual(sms.title, "【致命】无数据告警：CPU usage high <prod>")
        XCTAssertTrue(sms.content.contains("首次异常 2026-11-18 11:06:40 UTC"))
    }

    func testChoiceOrder_actionConfig_thenSignalAndWay_thenDefaults() throws {
        let t = NoticeTemplates(overrides: [
            "abnormal": ["mail": .init(title: "cfg mail {{ alert.id }}"), "default": .init(content: "cfg any way")],
            "default": ["default": .init(title: "cfg default title")],
        ])
        XCTAssertEqual(try render(t, way: "mail").title, "cfg mail a-1")
        XCTAssertEqual(try render(t, way: "mail").content, "cfg any way")
        XCTAssertEqual(try render(t, way: "sms").title, "cfg default title")
        XCTAssertEqual(try render(t, signal: "recovered", way: "sms").content.hasPrefix("[fatal] recovered"), true)
        let action: JSONValue = [["signal": "abnormal", "title_tmpl": "pkg {{ strategy.name }}", "message_tmpl": ""]]
        let picked = try render(t, way: "mail", action: action)
        XCTAssertEqual(picked.title, "pkg cpu", "the package's own template wins")
        XCTAssertEqual(picked.content, "cfg any way", "an empty message_tmpl falls through")
    }

    func testTemplateErrors_nameTheTemplateAndLine() throws {
        let action: JSONValue = [["signal": "abnormal", "message_tmpl": "ok\n{% if %}"]]
        XCTAssertThrowsError(try render(NoticeTemplates(), way: "sms", action: action)) { e in
            XCTAssertTrue("\(e)".contains("action_config template[abnormal].message_tmpl"), "\(e)")
            XCTAssertTrue("\(e)".contains("line 2"), "\(e)")
        }
        XCTAssertThrowsError(try FTAConfig.parse("templates:\n  abnormal:\n    mail: {title: \"{% for %}\"}\n", source: "t.yaml")) { e in
            XCTAssertTrue("\(e)".hasPrefix("config t.yaml: templates.abnormal.mail.title: "), "\(e)")
        }
        XCTAssertThrowsError(try FTAConfig.parse("templates:\n  abnormall: {}\n", source: "t.yaml")) { e in
            XCTAssertTrue("\(e)".contains("templates.abnormall: not a signal"), "\(e)")
        }
        XCTAssertEqual(try FTAConfig.parse("templates:\n  language: zh\n", source: "t.yaml").templates.language, .zh)
    }
}
