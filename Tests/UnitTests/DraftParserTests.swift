import Foundation
@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
@testable import FTATemplates
import XCTest

final class DraftParserTests: XCTestCase {
    func testRepeatedConfig_isValidatedOnce_andStoredVerbatim() throws {
        var validations = 0
        let parser = ActionDraftParser { _, _ in validations += 1 }
        let config = #"{"id": 5, "execute_config": {"timeout": 120, "template_detail": {"url": "http://x"}}}"#
        for i in 0..<3 {
            let d = try parser.parse(#"{"signal":"abnormal","alerts":[1],"action_plugin":{"plugin_type":"webhook"},"action_config":\#(config),"dedupe_key":"k\#(i)"}"#)
            XCTAssertEqual(d.actionConfig, config)
            XCTAssertEqual(d.timeout, 120)
            XCTAssertEqual(d.actionConfigId, 5)
            XCTAssertEqual(d.alerts, #"["1"]"#)
            XCTAssertEqual(d.actionPlugin, #"{"plugin_key":"webhook","plugin_type":"webhook"}"#)
        }
        XCTAssertEqual(validations, 1)
    }

    func testSyntaxErrorsInsideNestedValues_areCaught() {
        let parser = ActionDraftParser { _, _ in }
        for bad in [#"{"signal":"abnormal","action_plugin":{"plugin_type":"webhook"},"strategy":{"a":01}}"#,
                    #"{"signal":"abnormal","action_plugin":{"plugin_type":"webhook"},"inputs":{"a":"\q"}}"#,
                    #"{"signal":"abnormal","action_plugin":{"plugin_type":"webhook"},"dimensions":[1,]}"#] {
            XCTAssertThrowsError(try parser.parse(bad), bad)
        }
        XCTAssertThrowsError(try parser.parse(#"{"signal":"abnormal","action_plugin":{"plugin_type":"webhook"},"strategy":[]}"#)) { e in
            XCTAssertEqual("\(e)", "strategy: expected an object, found array")
        }
    }
}
