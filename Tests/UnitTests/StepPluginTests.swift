@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
import XCTest

/// Step plugin definitions (the built-ins and the config's `plugins:`), their rules, and JOB's
/// global variables.
final class StepPluginTests: XCTestCase {
    func testBuiltinsAreComplete() {
        XCTAssertEqual(StepPlugin.builtins.keys.sorted(), ["itsm", "itsmv4", "job", "sops", "sops_common"])
        let job = StepPlugin.builtins["job"]!
        XCTAssertEqual(job.firstStep, "create_task")
        XCTAssertEqual(job.steps["create_task"]?.next, "schedule")
        XCTAssertEqual(job.steps["schedule"]?.needSchedule, true)
        XCTAssertEqual(StepPlugin.builtins["sops"]?.steps.keys.sorted(), ["create_task", "schedule", "start_task"])
    }

    func testRules() {
        let schedule = StepPlugin.builtins["job"]!.steps["schedule"]!
        XCTAssertFalse(schedule.finishedRule!.matches(["job_state": 2]))
        XCTAssertTrue(schedule.finishedRule!.matches(["job_state": 4]))
        XCTAssertTrue(schedule.successRule!.matches(["job_state": "3"]), "numbers and their text are the same value")
        XCTAssertEqual(schedule.successRule!.describe(["job_state": 9]), "job_state 9 (abnormal)")
        XCTAssertFalse(schedule.finishedRule!.matches([:]), "a missing key never matches")
    }

    func testGlobalVariables_hostsWithAndWithoutCloud_andValues() {
        let vars = StepProcessor.globalVars(["1000_3": "2:10.0.0.1; 10.0.0.2;", "1001_1": "x", "bad": "y"], defaultCloud: 7)
        XCTAssertEqual(vars, [
            ["id": 1000, "server": ["ip_list": [["bk_cloud_id": 2, "ip": "10.0.0.1"], ["bk_cloud_id": 7, "ip": "10.0.0.2"]]]],
            ["id": 1001, "value": "x"],
        ])
    }

    func testBadPluginsAreNamedInTheConfigError() {
        func error(_ yaml: String) -> String {
            do { _ = try FTAConfig.parse(yaml, source: "fta.yaml"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error("plugins:\n  - {plugin_type: common, plugin_key: t, steps: {create_task: {method: POST}}}\n"),
                       "config fta.yaml: plugins[0].steps.create_task.url: missing")
        XCTAssertEqual(error("plugins:\n  - {plugin_type: common, plugin_key: t, steps: {a: {url: x, next_function: b}}}\n"),
                       "config fta.yaml: plugins[0].steps.a.next_function: 'b' is not one of the steps")
        XCTAssertEqual(error("plugins:\n  - {plugin_type: common, plugin_key: t, steps: {a: {url: x, finished_rule: {key: s, method: like, value: 1}}}}\n"),
                       "config fta.yaml: plugins[0].steps.a.finished_rule.method: 'like' is not one of equal, in, not in")
        XCTAssertEqual(error("job: {url: ftp://x}\n"), "config fta.yaml: job.url: 'ftp://x' is not an http(s) URL")
        XCTAssertEqual(error("itsm: {url: http://x, approval_service_id: abc}\n"), "config fta.yaml: itsm.approval_service_id: expected the numeric id of an ITSM service")
        let ok = try? FTAConfig.parse("remote: {cmdb: {url: http://cmdb}}\nplugins:\n  - {plugin_type: common, plugin_key: cmdb_ticket, system: cmdb, steps: {create_task: {url: \"{{ system.url }}/t\"}}}\n", source: "x")
        XCTAssertEqual(ok?.plugins["cmdb_ticket"]?.system, "cmdb")
        XCTAssertEqual(ok?.remote["cmdb"]?.url, "http://cmdb")
        XCTAssertEqual(ProcessorRegistry.standard(config: ok!).processor(for: "common")?.pluginType, .common)
    }
}
