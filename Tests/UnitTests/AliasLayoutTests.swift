@testable import FTAConfig
@testable import FTACore
import XCTest

/// The original's index layout as fta-sync plans it: names, first index, rollover, aliases of
/// today and tomorrow, days met later, retention; and its settings.
final class AliasLayoutTests: XCTestCase {
    let layout = AliasLayout(prefix: "bkfta_action")
    /// 2026-11-18 11:06:40 UTC.
    let now: Int64 = 1_795_000_000
    let gb: Int64 = 1 << 30

    /// Store sizes, each index holding documents when it has any bytes.
    func sized(_ bytes: [String: Int64]) -> [String: (bytes: Int64, docs: Int64)] { bytes.mapValues { ($0, $0 > 0 ? 1 : 0) } }

    func testNames_asTheOriginalsAndNothingElseIsTakenForOne() {
        XCTAssertEqual(AliasLayout.day(now), "20261118")
        XCTAssertEqual(AliasLayout.day(now + 86400), "20261119")
        XCTAssertEqual(AliasLayout.day(-1), "19691231")
        XCTAssertEqual(layout.writeAlias("20261118"), "write_20261118_bkfta_action")
        XCTAssertEqual(layout.readAlias("20261118"), "bkfta_action_20261118_read")
        XCTAssertEqual(layout.templateGlob, "bkfta_action_*")
        XCTAssertEqual(layout.parseIndex("bkfta_action_20261118_3")?.n, 3)
        XCTAssertEqual(layout.parseIndex("bkfta_action_20261118_3")?.day, "20261118")
        for other in ["bkfta_action_20261118", "bkfta_action_20261118_read", "bkfta_action_20261318_0", "bkfta_action_2026111_0",
                      "other_20261118_0", "bkfta_action_20261118_x", "bkfta_action_20261118_0_1", "bkfta_action_20261118_"] {
            XCTAssertNil(layout.parseIndex(other), other)
        }
        XCTAssertEqual(layout.aliasDay("write_20261118_bkfta_action"), "20261118")
        XCTAssertEqual(layout.aliasDay("bkfta_action_20261118_read"), "20261118")
        XCTAssertNil(layout.aliasDay("write_2026_bkfta_action"))
        XCTAssertNil(layout.aliasDay("dashboards"))
        XCTAssertEqual(AliasLayout.midnight("20261118"), 1_794_960_000)
    }

    func testAnEmptyCluster_getsIndexZeroWithTodaysAndTomorrowsAliases() {
        var state = layout.state(sizes: sized([:]), aliases: [:])
        let plan = layout.plan(&state, now: now, rolloverBytes: 50 * gb, retentionDays: 365, mappingChanged: true)
        XCTAssertEqual(plan.create, "bkfta_action_20261118_0")
        XCTAssertEqual(plan.reason, "first")
        XCTAssertEqual(plan.aliasActions, [
            .add(index: "bkfta_action_20261118_0", alias: "write_20261118_bkfta_action"),
            .add(index: "bkfta_action_20261118_0", alias: "bkfta_action_20261118_read"),
            .add(index: "bkfta_action_20261118_0", alias: "write_20261119_bkfta_action"),
            .add(index: "bkfta_action_20261118_0", alias: "bkfta_action_20261119_read"),
        ])
        XCTAssertEqual(plan.deleteIndices, [])
        XCTAssertEqual(state.writeIndex["20261118"], "bkfta_action_20261118_0")
        XCTAssertEqual(layout.olderIndices("20261118", state: state), [])
    }

    func testASecondRunTheSameDay_changesNothing() {
        let aliases: Set = ["write_20261118_bkfta_action", "bkfta_action_20261118_read", "write_20261119_bkfta_action", "bkfta_action_20261119_read"]
        var state = layout.state(sizes: sized(["bkfta_action_20261118_0": 1000]), aliases: ["bkfta_action_20261118_0": aliases])
        let plan = layout.plan(&state, now: now + 600, rolloverBytes: 50 * gb, retentionDays: 365, mappingChanged: false)
        XCTAssertEqual(plan, AliasLayout.Plan())
    }

    func testPastTheSize_aNewIndexTakesTheWriteAliases_readAliasesSpanBoth_updatesDeleteTheOldCopy() {
        let aliases: Set = ["write_20261118_bkfta_action", "bkfta_action_20261118_read", "write_20261119_bkfta_action", "bkfta_action_20261119_read",
                            "write_20261117_bkfta_action", "bkfta_action_20261117_read"]
        var state = layout.state(sizes: sized(["bkfta_action_20261117_0": 51 * gb]), aliases: ["bkfta_action_20261117_0": aliases])
        let plan = layout.plan(&state, now: now, rolloverBytes: 50 * gb, retentionDays: 365, mappingChanged: false)
        XCTAssertEqual(plan.create, "bkfta_action_20261118_0", "a new day starts at 0")
        XCTAssertEqual(plan.reason, "size")
        XCTAssertEqual(plan.aliasActions, [
            .remove(index: "bkfta_action_20261117_0", alias: "write_20261118_bkfta_action"),
            .add(index: "bkfta_action_20261118_0", alias: "write_20261118_bkfta_action"),
            .add(index: "bkfta_action_20261118_0", alias: "bkfta_action_20261118_read"),
            .remove(index: "bkfta_action_20261117_0", alias: "write_20261119_bkfta_action"),
            .add(index: "bkfta_action_20261118_0", alias: "write_20261119_bkfta_action"),
            .add(index: "bkfta_action_20261118_0", alias: "bkfta_action_20261119_read"),
        ])
        XCTAssertEqual(layout.olderIndices("20261118", state: state), ["bkfta_action_20261117_0"])
        XCTAssertEqual(layout.olderIndices("20261117", state: state), [], "yesterday keeps writing where it was")
        XCTAssertEqual(state.writeIndex["20261117"], "bkfta_action_20261117_0")

        // The same day again: the next number.
        var again = layout.state(sizes: sized(["bkfta_action_20261118_0": 51 * gb, "bkfta_action_20261117_0": 51 * gb]),
                                 aliases: ["bkfta_action_20261118_0": ["write_20261118_bkfta_action"]])
        XCTAssertEqual(layout.plan(&again, now: now, rolloverBytes: 50 * gb, retentionDays: 365, mappingChanged: false).create, "bkfta_action_20261118_1")
        // A changed mapping rolls over an index that holds documents, not an empty one.
        var changed = layout.state(sizes: sized(["bkfta_action_20261118_0": 10]), aliases: [:])
        XCTAssertEqual(layout.plan(&changed, now: now, rolloverBytes: 50 * gb, retentionDays: 365, mappingChanged: true).reason, "mapping")
        var empty = layout.state(sizes: ["bkfta_action_20261118_0": (bytes: 225, docs: 0)], aliases: [:])
        XCTAssertNil(layout.plan(&empty, now: now, rolloverBytes: 50 * gb, retentionDays: 365, mappingChanged: true).create)
    }

    func testADayMetLater_isAliasedToTheCurrentIndexOnce() {
        var state = layout.state(sizes: sized(["bkfta_action_20261118_0": 10, "bkfta_action_20261110_0": 10]),
                                 aliases: ["bkfta_action_20261118_0": ["write_20261118_bkfta_action"]])
        XCTAssertEqual(layout.ensureDay("20261101", state: &state), [
            .add(index: "bkfta_action_20261118_0", alias: "write_20261101_bkfta_action"),
            .add(index: "bkfta_action_20261118_0", alias: "bkfta_action_20261101_read"),
        ])
        XCTAssertEqual(layout.ensureDay("20261101", state: &state), [])
        XCTAssertEqual(layout.ensureDay("20261118", state: &state), [])
    }

    func testRetention_deletesIndicesWhoseDaysAllExpired_removesExpiredAliasesOfTheOthers() {
        // now - 30 days = 2026-10-19 11:06:40: days up to 20261019 have expired.
        var state = layout.state(
            sizes: sized(["bkfta_action_20261001_0": 5, "bkfta_action_20261019_0": 5, "bkfta_action_20261118_0": 5, "bkfta_action_20260901_0": 5]),
            aliases: [
                "bkfta_action_20261001_0": ["write_20261001_bkfta_action", "bkfta_action_20261001_read", "bkfta_action_20261002_read"],
                "bkfta_action_20261019_0": ["bkfta_action_20261019_read", "bkfta_action_20261020_read", "dashboards"],
                "bkfta_action_20261118_0": ["write_20261118_bkfta_action", "bkfta_action_20261118_read", "write_20261119_bkfta_action",
                                            "bkfta_action_20261119_read", "bkfta_action_20260101_read"],
            ])
        let plan = layout.plan(&state, now: now, rolloverBytes: 50 * gb, retentionDays: 30, mappingChanged: false)
        XCTAssertEqual(plan.deleteIndices.sorted(), ["bkfta_action_20260901_0", "bkfta_action_20261001_0"], "an index without aliases goes by its own day")
        XCTAssertEqual(plan.aliasActions, [
            .remove(index: "bkfta_action_20261019_0", alias: "bkfta_action_20261019_read"),
            .remove(index: "bkfta_action_20261118_0", alias: "bkfta_action_20260101_read"),
        ])
        XCTAssertTrue(layout.expired("20261019", now: now, retentionDays: 30))
        XCTAssertFalse(layout.expired("20261020", now: now, retentionDays: 30))
        XCTAssertFalse(layout.expired("19700101", now: now, retentionDays: 0), "0 keeps everything")
        var keep = layout.state(sizes: sized(["bkfta_action_20200101_0": 5, "bkfta_action_20261118_0": 5]), aliases: [:])
        XCTAssertEqual(layout.plan(&keep, now: now, rolloverBytes: 50 * gb, retentionDays: 0, mappingChanged: false).deleteIndices, [])
    }

    func testSettings_layoutSizeAndRetention_withClearErrors() throws {
        func es(_ yaml: String) throws -> ElasticsearchSettings { try FTAConfig.parse("elasticsearch:\n" + yaml, source: "c.yaml", environment: [:]).elasticsearch }
        let d = try es("  url: http://127.0.0.1:9200\n")
        XCTAssertEqual(d.layout, .aliases)
        XCTAssertEqual(d.rolloverBytes, 50 * gb)
        XCTAssertEqual(d.retentionDays, 365)
        XCTAssertEqual(try es("  index_pattern: \"{prefix}-{YYYY}.{MM}\"\n").layout, .index, "an index pattern means the plain layout")
        XCTAssertEqual(try es("  layout: index\n").layout, .index)
        XCTAssertEqual(try es("  rollover_size: 20kb\n").rolloverBytes, 20 * 1024)
        XCTAssertEqual(try es("  rollover_size: 1.5 GB\n").rolloverBytes, 3 * gb / 2)
        XCTAssertEqual(try es("  rollover_size: 4096\n").rolloverBytes, 4096)
        XCTAssertEqual(try es("  retention_days: 0\n").retentionDays, 0)
        for (yaml, field) in [("  rollover_size: 10b\n", "elasticsearch.rollover_size"), ("  rollover_size: lots\n", "elasticsearch.rollover_size"),
                              ("  rollover_size: 1000tb\n", "elasticsearch.rollover_size"), ("  retention_days: -1\n", "elasticsearch.retention_days"),
                              ("  layout: daily\n", "elasticsearch.layout"),
                              ("  layout: aliases\n  index_pattern: \"{prefix}-{YYYY}\"\n", "elasticsearch.index_pattern")] {
            XCTAssertThrowsError(try es(yaml), yaml) { XCTAssertTrue("\($0)".contains(field), "\($0)") }
        }
    }
}
