import Foundation
@testable import FTACore
@testable import FTATemplates
import XCTest

/// The renderer's own path for simple templates must print exactly what Stencil prints, or
/// step aside for Stencil.
final class SimpleTemplateTests: XCTestCase {
    let renderer = TemplateRenderer()

    /// Renders `source` both ways over `context`; fails unless they agree.
    func check(_ source: String, _ context: JSONValue, simple expectSimple: Bool? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let stencil = try? renderer.render(source, field: "t", context: (context.anyValue as? [String: Any]) ?? [:])
        let fast = try? renderer.render(source, field: "t", context: TemplateRenderer.Context(context))
        XCTAssertEqual(fast, stencil, source, file: file, line: line)
        if let expectSimple {
            let handled = SimpleTemplate(source).flatMap { $0.render(TemplateRenderer.Context(context)) } != nil
            XCTAssertEqual(handled, expectSimple, "rendered without Stencil: \(source)", file: file, line: line)
        }
    }

    let contexts: [JSONValue] = [
        ["notice": ["level_name": "Fatal", "signal_name": "Alert", "alert_name": "CPU <high> & \"hot\"", "dimensions_text": "ip=10.0.0.1",
                    "begin_time": "2026-12-06 10:00:00", "latest_time": "2026-12-06 10:05:00", "bk_biz_id": 2,
                    "action_name": "restart", "action_id": 9, "action_status": "failure", "action_message": "exit 1",
                    "digest_count": 4, "digest_reason": "quota", "digest_reason_zh": "限额", "digest_window_end": "10:10",
                    "digest_titles_text": "a\nb", "digest_titles_inline": "a; b"],
         "alert": ["id": "A-1", "description": "load > 9"]],
        ["notice": ["level_name": "", "signal_name": "恢复", "alert_name": "磁盘", "dimensions_text": "", "bk_biz_id": 0,
                    "action_message": "", "digest_count": 0],
         "alert": ["id": "A-2", "description": .null]],
        ["notice": [:], "alert": [:]],
    ]

    func testTheShippedNoticeTemplates_renderAsStencilDoes_withoutStencil() {
        var sources: [String] = []
        for table in [NoticeTemplates.defaults, NoticeTemplates.digestDefaults, NoticeTemplates.executionDefaults] {
            for (_, kinds) in table { for (_, pair) in kinds { sources += [pair.title, pair.content] } }
        }
        XCTAssertGreaterThan(sources.count, 20)
        for source in sources where !source.isEmpty {
            for context in contexts { check(source, context) }
            check(source, contexts[0], simple: true)
        }
    }

    func testConditions_followJinjasTruth() {
        let values: [JSONValue] = ["", "x", "false", 0, -1, 2, 0.0, 0.5, true, false, .null, [], [1], [:], ["a": 1]]
        for v in values {
            check("[{% if a.v %}yes{% endif %}]", ["a": ["v": v]])
            check("[{% if a.v %}{% if b %}both{% endif %}one{% endif %}]", ["a": ["v": v], "b": 1])
        }
        check("[{% if a.missing %}yes{% endif %}]", ["a": [:]], simple: true)
        check("[{% if nothing.at.all %}yes{% endif %}]", ["a": [:]], simple: true)
        check("[{% if a.count %}yes{% endif %}]", ["a": ["x": 1]], simple: false)
        check("[{% if a.list.first %}yes{% endif %}]", ["a": ["list": [1]]], simple: false)
        check("[{% if a.list.5 %}yes{% endif %}]", ["a": ["list": [1]]], simple: true)
        check("[{% if a.text.count %}yes{% endif %}]", ["a": ["text": "abc"]], simple: false)
        check("[{% if true %}yes{% endif %}]", ["a": 1], simple: false)
        // What Jinja gives, not only that the two paths agree.
        let truth: [(JSONValue, Bool)] = [(.null, false), (-1, true), (0, false), (2, true), (0.0, false), (0.5, true), ("", false), ("false", true),
                                          ([], false), ([1], true), ([:], false), (["a": 1], true), (false, false), (true, true)]
        for (v, truthy) in truth {
            let out = try? TemplateRenderer().render("[{% if a.v %}yes{% endif %}]", field: "t", context: TemplateRenderer.Context(["a": ["v": v]]))
            XCTAssertEqual(out, truthy ? "[yes]" : "[]", "\(v)")
        }
    }

    func testValuesFiltersAndText() {
        let c: JSONValue = ["a": ["s": "<b>&\"", "n": 7, "t": true, "d": 1.5, "list": ["x", "y"]]]
        check("{{ a.s }}|{{ a.s|escape }}|{{ a.n|escape }}|{{ a.t }}", c, simple: true)
        check("{{ a.d }}", c, simple: false)
        check("{{ a.list.1 }} {{ a.list.count }}", c)
        check("{{ a.missing|escape }}", c, simple: false)
        check("{\"k\": \"{{ a.s }}\"} { lone } brace", c, simple: true)
        check("{{ a.s|upper }}", c, simple: false)
        let gateway = #"{"phones": {{ receivers|tojson }}, "text": {{ content|tojson }}, "n": {{ a.n|tojson }}, "d": {{ a.d|tojson }}}"#
        check(gateway, ["receivers": ["138", "139"], "content": "line 1\n\"quoted\" 告警", "a": ["n": 7, "d": 1.5]], simple: true)
        check("{{ a.obj|tojson }} {{ a.nothing|tojson }}", ["a": ["obj": ["z": 1, "b": [true, .null]]]], simple: false)
        check("{{ a.obj|tojson }}", ["a": ["obj": ["z": 1, "b": [true, .null]]]], simple: true)
        check("{# note #}{{ a.s }}", c, simple: false)
        check("{% for x in a.list %}{{ x }}{% endfor %}", c, simple: false)
        check("{% if a.n %}unclosed", c)
        check("{{ a.s }", c)
        check("{{{ a.s }}}", c)
    }
}

/// The byte-level text helpers agree with Foundation.
final class TextScanTests: XCTestCase {
    func testContainsBytes_andTrimmingWhitespace_matchFoundation() {
        let texts = ["", "a", " a ", "plain ascii text of 24 b", "plain ascii text of 24 \\", "\\plain ascii text of 24", "0123456789abcdé", "{\"k\\u005f\":1}", "\n\t x y \r\n", "告警：CPU\n", "\u{3000}全角\u{3000}", "\u{a0}nbsp\u{2028}", " http://h/x\t", "\nurl\u{3000}", "{\"converge_config\":1}", "   ", "x\u{85}"]
        for t in texts {
            XCTAssertEqual(t.trimmingWhitespace(), t.trimmingCharacters(in: .whitespacesAndNewlines), t.debugDescription)
            XCTAssertEqual(t.trimmingWhitespace(newlines: false), t.trimmingCharacters(in: .whitespaces), t.debugDescription)
            XCTAssertEqual(t.isASCIIWithoutBackslash, !t.utf8.contains { $0 >= 0x80 || $0 == 0x5C }, t.debugDescription)
            for needle in ["", "a", "converge_config", "全角", "x y", "zz"] {
                XCTAssertEqual(t.containsBytes(needle), needle.isEmpty || t.contains(needle), "\(t.debugDescription) ∋ \(needle)")
            }
        }
    }
}
