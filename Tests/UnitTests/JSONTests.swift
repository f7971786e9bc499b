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

    /// `members(of:)` compares raw key bytes; it must answer as a full parse would, including
    /// refusing what the parser refuses (then it answers nothing).
    func testMembers_answerAsAFullParse_forEscapedDuplicateNestedAndInvalidInput() throws {
        let keys = ["notice_way", "notice_receiver", "followed", "é"]
        let cases: [String] = [
            #"{"notice_way":"sms","notice_receiver":"u1","followed":false,"other":{"a":[1,2,{"b":null}]}}"#,
            #"{"notice_way":"sms","notice_way":"mail"}"#,  // duplicate: refused
            #"{"notice_way":"sms","\u006eotice_way":"mail"}"#,  // the same key, escaped: refused
            #"{"notice\u005fway":"voice","followed":true}"#,  // an escaped wanted key is found
            #"{"é":1,"\u00e9x":2,"notice_receiver":["u1","u2"]}"#,
            #"{"x":{"a":1,"a":2},"notice_way":"sms"}"#,  // nested duplicate: refused
            #"{"notice_way":"sms","x":{"a":1},"y":{"a":1}}"#,  // the same key in two objects is fine
            #"{"notice_way":"sms",}"#, #"{"notice_way":"sms"} x"#, #"["notice_way"]"#, #"{"notice_way":"sms""#,
            #"{"notice_way":"sms","s":"a\u0000b","t":"\"}"}"#, #"  { "notice_way" : "sms" , "followed" : 1e3 }  "#, "{}",
        ]
        for text in cases {
            let expected: [String: JSONValue]
            if case .object(let all)? = try? JSONParser.parse(text) {
                expected = all.filter { keys.contains($0.key) }
            } else {
                expected = [:]
            }
            XCTAssertEqual(JSONParser.members(of: text, keys), expected, text)
            // Escape-free ASCII keys take the raw-byte path, the others the decoding one.
            var t = text
            let raw = t.withUTF8 { try? JSONParser.selected(validUTF8: $0, keys) }
            if case .object? = try? JSONParser.parse(text), !text.contains("\\u"), !text.contains("é") {
                XCTAssertEqual(raw, expected, "raw path: \(text)")
            }
        }
        // Canonically equal keys are one key, as in a full parse.
        XCTAssertEqual(JSONParser.members(of: #"{"é":1,"e\u0301":2}"#, keys), [:])
        XCTAssertEqual(JSONParser.members(of: #"{"notice\u005fway":"voice"}"#, keys)["notice_way"], "voice")
        XCTAssertEqual(JSONParser.members(of: #"{"notice_way":"sms","notice_way":"mail"}"#, keys), [:])
    }

    /// The structural scan that groups notice children: wherever the text parses it finds what
    /// a full parse finds or gives up (nil), never something else; on a text that does not
    /// parse it may find members, and gives up where it cannot tell keys from values.
    func testScannedMembers_agreeWithAFullParse_orGiveUp() throws {
        let keys: [StaticString] = ["notice_way", "followed"]
        let parsing: [String] = [
            #"{"notice_way":"sms","notice_receiver":"u1","followed":false,"other":{"a":[1,2,{"b":null}]}}"#,
            #"{"a":"}{][\"\\","notice_way":"mail","b":["x\"]","{"],"followed":true}"#,  // brackets and quotes inside strings
            #"  { "followed" : true , "notice_way" : "sms" , "n" : -1.5e3 , "t" : null }  "#,
            #"{"notice_way":{"nested":"sms"},"followed":"yes"}"#,  // present, not a string / not a bool
            #"{"notice_wa":"sms","notice_way_":"mail","followe":true}"#,  // near misses are other keys
            #"{"é":1,"notice_way":"sms"}"#, #"{"notice\u005fway":"voice"}"#,  // non-ASCII or escaped keys: gives up
            "{}", #"{"x":[]}"#,
        ]
        for text in parsing {
            let full = try XCTUnwrap(JSONParser.parse(text).objectValue, text)
            guard let scanned = JSONParser.scannedMembers(of: text, keys) else {
                XCTAssertTrue(text.contains("é") || text.contains("\\u"), "gave up on \(text)")
                continue
            }
            XCTAssertEqual(scanned, [full["notice_way"], full["followed"]], text)
        }
        // Texts that do not parse.
        XCTAssertNil(JSONParser.scannedMembers(of: #"{"notice_way":"sms","notice_way":"mail"}"#, keys), "a wanted key twice")
        XCTAssertNil(JSONParser.scannedMembers(of: #"{"notice_way":"sms""#, keys), "unterminated")
        XCTAssertNil(JSONParser.scannedMembers(of: #"{"notice_way":"sms"} x"#, keys), "text after the object")
        XCTAssertNil(JSONParser.scannedMembers(of: #"["notice_way","sms"]"#, keys), "not an object")
        XCTAssertNil(JSONParser.scannedMembers(of: #"{"notice_way":"sms","x":{"a":["#, keys), "unbalanced")
        XCTAssertNil(JSONParser.scannedMembers(of: #"{"notice_way":"sms","x":"a\"#, keys), "an escape at the end")
        XCTAssertNil(JSONParser.scannedMembers(of: #"{"notice_way" "sms"}"#, keys), "no colon")
        XCTAssertNil(JSONParser.scannedMembers(of: "", keys))
        // Unvalidated where it skips: a nested duplicate or a bad escape does not stop it; the
        // worker's strict parse refuses such a child.
        XCTAssertEqual(JSONParser.scannedMembers(of: #"{"notice_way":"sms","x":{"a":1,"a":2},"y":"\q"}"#, keys), [.string("sms"), nil])
        XCTAssertEqual(JSONParser.members(of: #"{"notice_way":"sms","x":{"a":1,"a":2}}"#, ["notice_way"]), [:])
        // It stops at the last wanted key: what follows is not read.
        XCTAssertEqual(JSONParser.scannedMembers(of: #"{"followed":true,"notice_way":"sms","notice_way":"mail"] x"#, keys), [.string("sms"), .bool(true)])
        // A wanted value that is not JSON is absent; the scan goes on.
        XCTAssertEqual(JSONParser.scannedMembers(of: #"{"notice_way":smz,"followed":true}"#, keys), [nil, .bool(true)])
    }

    /// Strings are written in runs between the bytes that need escapes: every escape at every
    /// position, beside multi-byte characters, reads back as the same string.
    func testWrittenStrings_escapeAtEveryPosition_andReadBack() throws {
        let specials = ["\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "告警", "/"]
        for special in specials {
            // Leads and tails across two eight-byte words: the writer skips plain bytes a word
            // at a time.
            for lead in 0..<20 {
                for tail in 0..<12 {
                    let s = String(repeating: "a", count: lead) + special + String(repeating: "z", count: tail) + special
                    let text = JSONValue.object(["k": .string(s)]).jsonText
                    XCTAssertFalse(text.utf8.contains { $0 < 0x20 }, "no raw control byte in \(text)")
                    XCTAssertEqual(try JSONParser.parse(text)["k"]?.stringValue, s)
                    XCTAssertEqual(text, "{\"k\":" + JSONTests.escapedOneByOne(s) + "}")
                }
            }
        }
        XCTAssertEqual(JSONValue.string("a\"b\\c\nd\u{1}").jsonText, #""a\"b\\c\nd\u0001""#)
    }

    /// What the writer must give for `s`, one character at a time.
    static func escapedOneByOne(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += "\\u00" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// A notice child's inputs are its parent's members written once plus three of its own:
    /// the text must be what writing the merged object gives, byte for byte.
    func testMembersWrittenOnce_giveTheMergedObjectsText() throws {
        let bases: [[String: JSONValue]] = [
            [:],
            ["a": .int(1)],
            ["alert_latest_time": .int(1_795_000_000), "notify_info": .object(["sms": .array([.string("u1"), .string("u2")])]),
             "shield_detail": .string("quote \" and \n newline"), "zz": .null, "é": .bool(true), "Z": .double(2.5)],
            ["followed": .bool(true), "notice_way": .string("old"), "m": .array([])],
        ]
        let extras: [[String: JSONValue]] = [
            [:],
            ["notice_way": .string("sms"), "notice_receiver": .string("u1"), "followed": .bool(false)],
            ["0": .int(0), "~": .string("last"), "a": .string("replaces a")],
            ["é": .string("replaces é"), "ü": .object(["x": .int(1)])],
            // "e" and a combining acute accent: equal to the base's "é" as a Swift string.
            ["e\u{301}": .string("replaces é, spelled apart")],
        ]
        for base in bases {
            let shared = JSONWriter.Members(base)
            for extra in extras {
                let merged = base.merging(extra) { _, new in new }
                XCTAssertEqual(shared.text(adding: extra), JSONValue.object(merged).jsonText, "base \(base.keys.sorted()) extra \(extra.keys.sorted())")
            }
        }
        // Fails if the merge lost or doubled a member: the parsed text is the merged object.
        let text = JSONWriter.Members(bases[3]).text(adding: extras[1])
        XCTAssertEqual(try JSONParser.parse(text), .object(bases[3].merging(extras[1]) { _, new in new }))
    }
}
