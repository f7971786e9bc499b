import Foundation
@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
@testable import FTATemplates
import XCTest

final class TemplateRendererTests: XCTestCase {
    let context: JSONValue = ["alert": ["id": "a-1", "severity": 2, "ok": true, "score": 1.5, "tags": ["x", "y"]],
                              "action": ["id": 42, "inputs": [:]]]

    /// The direct path and Stencil print the same text for every simple template.
    func testFastPath_printsWhatStencilPrints() throws {
        let fast = TemplateRenderer()
        let stencil = TemplateRenderer()
        for source in ["id={{ alert.id }}", "{{alert.severity}}/{{ action.id }}", "{{ alert.ok }}", "{{ alert.missing }}!",
                       "{{ alert.score }}", "{{ alert.tags }}", "{{ alert.tags.0 }}", "{{ nothing.here }}", "a {{ alert.id|upper }} b",
                       "{% if alert.ok %}yes{% endif %}"] {
            let viaFast = try fast.render(source, field: "t", context: TemplateRenderer.Context(context))
            let viaStencil = try stencil.render(source, field: "t", context: context.anyValue as! [String: Any])
            XCTAssertEqual(viaFast, viaStencil, source)
        }
        XCTAssertEqual(try fast.render("id={{ alert.id }}", field: "t", context: TemplateRenderer.Context(context)), "id=a-1")
        XCTAssertEqual(try fast.render("{{ alert.id|upper }} {{ alert.tags|length }}", field: "t", context: TemplateRenderer.Context(context)), "A-1 2")
    }

    func testSyntaxError_namesFieldAndLine() {
        XCTAssertThrowsError(try TemplateRenderer().render("ok\n{% if %}", field: "template_detail.url", context: TemplateRenderer.Context(context))) { e in
            XCTAssertTrue("\(e)".hasPrefix("template template_detail.url: "), "\(e)")
            XCTAssertTrue("\(e)".contains("line 2"), "\(e)")
        }
    }

    /// Every string leaf of a nested value is rendered, plain leaves and other values come back
    /// as they were, and an error names the leaf's path (spelled only when a leaf is a template).
    func testRenderLeaves_rendersEveryLeaf_andAnErrorNamesItsPath() throws {
        let r = TemplateRenderer()
        let value: JSONValue = ["url": "http://x/{{ alert.id }}", "n": 3, "plain": "{ \"a\": 1 }",
                                "headers": [["key": "X-Id", "value": "{{ action.id }}"], ["key": "X-Sev", "value": "{{ alert.severity }}"]]]
        let out = try r.renderLeaves(value, field: "template_detail", context: TemplateRenderer.Context(context))
        XCTAssertEqual(out, ["url": "http://x/a-1", "n": 3, "plain": "{ \"a\": 1 }",
                             "headers": [["key": "X-Id", "value": "42"], ["key": "X-Sev", "value": "2"]]])
        let broken: JSONValue = ["headers": [["value": "fine"], ["key": "X", "value": "{% if %}"]]]
        XCTAssertThrowsError(try r.renderLeaves(broken, field: "template_detail", context: TemplateRenderer.Context(context))) { e in
            XCTAssertTrue("\(e)".hasPrefix("template template_detail.headers[1].value: "), "\(e)")
        }
    }

    func testPlainText_isNotATemplate() {
        XCTAssertFalse(TemplateRenderer.isTemplate("{ \"a\": 1 }"))
        XCTAssertTrue(TemplateRenderer.isTemplate("x {{y}}"))
        XCTAssertTrue(TemplateRenderer.isTemplate("{% if x %}"))
    }

    /// Jinja spellings of the original's templates (filter calls with arguments, `set`, `elif`,
    /// `is defined`/`is none`, `loop.index`) give what Jinja2 gives: the expected texts were
    /// rendered by Jinja2 (Tests/Support/jinja_expected.py) and committed.
    func testJinjaFeatures_renderAsJinja2Does() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/jinja_expected.json")
        let data = try JSONParser.parse(try String(contentsOf: url, encoding: .utf8))
        let context = try XCTUnwrap(data["context"])
        let cases = try XCTUnwrap(data["cases"]?.arrayValue)
        XCTAssertGreaterThanOrEqual(cases.count, 29)
        let renderer = TemplateRenderer()
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let template = try XCTUnwrap(c["template"]?.stringValue)
            let out = try renderer.render(template, field: name, context: TemplateRenderer.Context(context))
            XCTAssertEqual(out, c["expected"]?.stringValue, "\(name): \(template)")
        }
    }

    func testJinjaRewriting_leavesTextAndQuotedStringsAlone() {
        XCTAssertEqual(JinjaSyntax.translate("f(x) and {{ a|join(\", \") }} (y)"), "f(x) and {{ a|join:\", \" }} (y)")
        XCTAssertEqual(JinjaSyntax.translate("{{ \"|x(1)\" }}"), "{{ \"|x(1)\" }}", "inside quotes nothing changes")
        XCTAssertEqual(JinjaSyntax.translate("{% if a is not defined %}x{% endif %}"), "{% if not a|fta_defined %}x{% endif %}")
        XCTAssertEqual(JinjaSyntax.translate("{{ a|replace(\"(\", \")\") }}"), "{{ a|replace:\"(\",\")\" }}")
        XCTAssertEqual(JinjaSyntax.translate("no markup (at all)"), "no markup (at all)")
        XCTAssertEqual(JinjaSyntax.translate("{{ unclosed|x(1) "), "{{ unclosed|x(1) ", "an unclosed markup is left for Stencil to report")
        // Python methods and subscripts become filters; text and quotes stay.
        XCTAssertEqual(JinjaSyntax.translate("{{ a.b.split(\",\")[0] }}"), "{{ a.b|fta_split:\",\"|fta_item:0 }}")
        XCTAssertEqual(JinjaSyntax.translate("{{ d[\"k\"].name }} {{ xs[2] }} {{ xs[-1] }} {{ d[\"a.b\"] }}"),
                       "{{ d.k.name }} {{ xs.2 }} {{ xs|fta_item:-1 }} {{ d|fta_item:\"a.b\" }}")
        XCTAssertEqual(JinjaSyntax.translate("{{ \", \".join(xs) }}"), "{{ xs|join:\", \" }}")
        XCTAssertEqual(JinjaSyntax.translate("{% for k, v in d.items() %}"), "{% for k, v in d %}")
        XCTAssertEqual(JinjaSyntax.translate("{{ \"a.strip()\" }} x.strip() [1]"), "{{ \"a.strip()\" }} x.strip() [1]")
        XCTAssertEqual(JinjaSyntax.translate("{{ d.unknown(1) }}"), "{{ d.unknown(1) }}", "other methods are left for Stencil to refuse")
    }

    func testConditions_keepFiltersQuotesAndParentheses_asStencilReadsThem() throws {
        let renderer = TemplateRenderer()
        let ctx: JSONValue = ["x": [1, 2], "empty": [], "alert": ["alert_name": "disk usage high", "note": .null],
                              "a": false, "b": true, "c": true, "d": ["h": ["name": "N"]], "k": "h"]
        func r(_ t: String) throws -> String { try renderer.render(t, field: "t", context: TemplateRenderer.Context(ctx)) }
        XCTAssertEqual(try r("{% if x | length > 0 %}yes{% endif %}"), "yes")
        XCTAssertEqual(try r("{% if empty | length %}yes{% else %}no{% endif %}"), "no")
        XCTAssertEqual(try r("{% if alert.alert_name == \"disk usage high\" %}match{% endif %}"), "match")
        XCTAssertEqual(try r("{% if (a or b) and c %}yes{% endif %}"), "yes")
        XCTAssertEqual(try r("{% if alert.note %}note{% else %}no note{% endif %}"), "no note", "null is false, as in Jinja")
        XCTAssertEqual(try r("{% if not alert.note and b %}ok{% endif %}"), "ok")
        XCTAssertEqual(try r("{{ d[k].name }}"), "N", "a variable key with a member after it")
        XCTAssertEqual(JinjaSyntax.translate("{% if x | length > 0 %}"), "{% if x | length > 0 %}")
        XCTAssertEqual(JinjaSyntax.translate("{% if a == \"b c d\" %}"), "{% if a == \"b c d\" %}")
    }

    func testJinjaSet_andTruncate_refuseBadInput_withTheTemplatesName() {
        let renderer = TemplateRenderer()
        XCTAssertThrowsError(try renderer.render("{% set 1x = 2 %}", field: "body", context: TemplateRenderer.Context(context))) { e in
            XCTAssertEqual((e as? TemplateError)?.field, "body")
        }
        XCTAssertThrowsError(try renderer.render("{{ alert.id|truncate(2, false, \"....\") }}", field: "body", context: TemplateRenderer.Context(context)))
    }
}
