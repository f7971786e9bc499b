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

    func testPlainText_isNotATemplate() {
        XCTAssertFalse(TemplateRenderer.isTemplate("{ \"a\": 1 }"))
        XCTAssertTrue(TemplateRenderer.isTemplate("x {{y}}"))
        XCTAssertTrue(TemplateRenderer.isTemplate("{% if x %}"))
    }
}
