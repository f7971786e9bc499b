import Foundation
@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
@testable import FTATemplates
import XCTest

final class JSONTests: XCTestCase {
    func testRoundTrip_keepsIntegersAndUnicode() throws {
        let text = #"{"a":[1,-2,3.5,true,null],"b":"é \"q\" \n \u00e9 \ud83d\ude00","big":1795000000123}"#
        let v = try JSONParser.parse(text)
        XCTAssertEqual(v["big"], .int(1_795_000_000_123))
        XCTAssertEqual(v["b"]?.stringValue, "é \"q\" \n é 😀")
        XCTAssertEqual(try JSONParser.parse(v.jsonText), v)
    }

    func testErrors_sayWhereAndWhat() {
        for bad in ["{", "[1,]", "{\"a\" 1}", "tru", "\"\\x\"", "01", "1 2"] {
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
        XCTAssertThrowsError(try JSONParser.parse("{\"a\": }")) { e in
            XCTAssertTrue("\(e)".contains("byte 7"), "\(e)")
        }
    }

    /// Nested strings are skipped eight bytes at a time: a quote, an escape or a control
    /// character at any offset from a word boundary must still be seen.
    func testSkippedStrings_stopAtEveryOffset() throws {
        for lead in 0..<17 {
            let pad = String(repeating: "é", count: lead / 2) + String(repeating: "x", count: lead % 2)
            for tail in ["", "abcdefgh", "0123456789abcdef"] {
                let inner = #"{"s":"\#(pad)\"q\\\u0041\#(tail)","n":1}"#
                let line = #"{"signal":"abnormal","strategy":\#(inner)}"#
                let bytes = Array(line.utf8)
                let fields = try bytes.withUnsafeBufferPointer { try JSONParser.topLevelFields(bytes: $0) }
                XCTAssertEqual(fields.map(\.key), ["signal", "strategy"], "lead \(lead) tail \(tail)")
                XCTAssertEqual(String(decoding: bytes[fields[1].range], as: UTF8.self), inner)
                XCTAssertEqual(try JSONParser.parse(inner)["s"]?.stringValue, pad + "\"q\\A" + tail)
                // A raw control character or a missing closing quote at the same offsets is refused.
                for bad in [#"{"strategy":{"s":"\#(pad)"# + "\u{01}" + #"\#(tail)"}}"#, #"{"strategy":{"s":"\#(pad)\#(tail)}}"#] {
                    let b = Array(bad.utf8)
                    XCTAssertThrowsError(try b.withUnsafeBufferPointer { try JSONParser.topLevelFields(bytes: $0) }, bad)
                }
            }
        }
    }
}
