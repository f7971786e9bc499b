import Foundation
@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
@testable import FTATemplates
import XCTest

final class TimeParserTests: XCTestCase {
    func testFormats() {
        XCTAssertEqual(TimeParser.parse("1795000000"), 1_795_000_000)
        XCTAssertEqual(TimeParser.parse("1795000000.9"), 1_795_000_000)
        XCTAssertEqual(TimeParser.parse("1970-01-02T00:00:00Z"), 86400)
        XCTAssertEqual(TimeParser.parse("1970-01-02 08:00:00+08:00"), 86400)
        XCTAssertEqual(TimeParser.parse("1970-01-02T00:00:00.250Z"), 86400)
        XCTAssertEqual(TimeParser.parse("2024-02-29T12:00:00Z"), 1_709_208_000)
        XCTAssertNil(TimeParser.parse("tomorrow"))
        XCTAssertNil(TimeParser.parse("2024-13-01T00:00:00Z"))
        XCTAssertEqual(TimeParser.iso(1_709_208_000), "2024-02-29T12:00:00Z")
        XCTAssertEqual(TimeParser.iso(0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(TimeParser.iso(-1), "1969-12-31T23:59:59Z")
        XCTAssertEqual(TimeParser.iso(Int64.min), "0000-01-01T00:00:00Z", "clamped, never a crash")
        XCTAssertTrue(TimeParser.iso(Int64.max).hasPrefix("9999-"), TimeParser.iso(Int64.max))
        XCTAssertEqual(TimeParser.format(1_795_000_000, separator: " ", zone: " UTC"), "2026-11-18 11:06:40 UTC")
    }
}

final class ConfigTests: XCTestCase {
    func testDefaultsAndOverrides_withEnvironmentExpansion() throws {
        let c = try FTAConfig.parse("tick:\n  concurrency: 4\n  user_agent: ${UA}\ndatabase:\n  busy_timeout: 5\n", source: "x.yaml", environment: ["UA": "ops/1"])
        XCTAssertEqual(c.tick.concurrency, 4)
        XCTAssertEqual(c.tick.userAgent, "ops/1")
        XCTAssertEqual(c.tick.batch, 500)
        XCTAssertEqual(c.database.busyTimeout, 5)
    }

    func testOutOfRange_namesTheSetting() {
        XCTAssertThrowsError(try FTAConfig.parse("tick:\n  concurrency: 0\n", source: "x.yaml")) { e in
            XCTAssertEqual("\(e)", "config x.yaml: tick.concurrency: 0 is out of range 1...512")
        }
    }
}
