import Foundation
@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
@testable import FTATemplates
import XCTest

final class RetryPolicyTests: XCTestCase {
    func testMaxRetryTimesTwo_allowsThreeExecutions() {
        let p = RetryPolicy(maxRetryTimes: 2, retryInterval: 60)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 0, failureType: .executeError, retryAfter: nil, random: 0), 60)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 1, failureType: .executeError, retryAfter: nil, random: 0), 60)
        XCTAssertNil(p.delayBeforeRetry(executionsBefore: 2, failureType: .executeError, retryAfter: nil, random: 0))
    }

    func testDefault_neverRetries_andTimeoutsNeverRetry() {
        XCTAssertNil(RetryPolicy.none.delayBeforeRetry(executionsBefore: 0, failureType: nil, retryAfter: nil, random: 0))
        let p = RetryPolicy(maxRetryTimes: 5, retryInterval: 1)
        XCTAssertNil(p.delayBeforeRetry(executionsBefore: 0, failureType: .timeout, retryAfter: nil, random: 0))
    }

    func testRetryAfter_isHonouredUpToTheCap_andJitterAddsAtMostItsFraction() {
        let p = RetryPolicy(maxRetryTimes: 3, retryInterval: 10, retryAfterCap: 100, jitter: 0.5)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 0, failureType: nil, retryAfter: 40, random: 0), 40)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 0, failureType: nil, retryAfter: 4000, random: 0), 100)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 0, failureType: nil, retryAfter: 5, random: 0), 10)
        XCTAssertEqual(p.delayBeforeRetry(executionsBefore: 0, failureType: nil, retryAfter: nil, random: 0.999)!, 14.995, accuracy: 0.001)
    }
}

final class OutcomeResolverTests: XCTestCase {
    func action(retryTimes: Int64) -> ClaimedAction {
        var a = ClaimedAction(id: 9, leaseToken: 4, createTime: 100)
        a.text.outputs = "{\"retry_times\":\(retryTimes)}"
        a.executeTimes = retryTimes
        return a
    }

    func testFailureWithRetriesLeft_staysRunning_dueAfterTheInterval() {
        let u = OutcomeResolver.resolve(action: action(retryTimes: 0), outcome: .failure("boom"),
                                        policy: RetryPolicy(maxRetryTimes: 1, retryInterval: 30), now: 1000, random: 0)
        XCTAssertEqual(u.status, .running)
        XCTAssertEqual(u.dueAt, 1030)
        XCTAssertNil(u.endTime)
        XCTAssertEqual(u.outputs["retry_times"], .int(1))
        XCTAssertEqual(u.executeTimes, 1)
        XCTAssertEqual(u.leaseToken, 4)
    }

    func testNextStep_staysLive_dueAfterItsInterval_andIsNotAnExecution() {
        var a = action(retryTimes: 1)
        a.nextStep = "schedule"
        let u = OutcomeResolver.resolve(action: a, outcome: ActionOutcome(.next(step: "schedule", after: 2), message: "job running"),
                                        policy: .none, now: 1000, random: 0)
        XCTAssertEqual(u.status, .running)
        XCTAssertEqual(u.dueAt, 1002)
        XCTAssertEqual(u.nextStep, "schedule")
        XCTAssertEqual(u.kind, .continued)
        XCTAssertEqual(u.executeTimes, 1, "a poll is not another execution")
        XCTAssertEqual(u.outputs["retry_times"], .int(1))
    }

    func testDueTimes_countFromTheMomentTheStepEnded_toTheMillisecond() {
        let retry = OutcomeResolver.resolve(action: action(retryTimes: 0), outcome: .failure("boom"),
                                            policy: RetryPolicy(maxRetryTimes: 1, retryInterval: 2), now: 1000, instant: 1000.7, random: 0)
        XCTAssertEqual(retry.dueAt, 1002.7, "2 s after the failure, not rounded to whole seconds")
        XCTAssertEqual(retry.log.first?.time, 1000, "recorded times stay whole seconds")
        var a = action(retryTimes: 1)
        a.nextStep = "schedule"
        let poll = OutcomeResolver.resolve(action: a, outcome: ActionOutcome(.next(step: "schedule", after: 2), message: "job running"),
                                           policy: .none, now: 1000, instant: 1000.2504, random: 0)
        XCTAssertEqual(poll.dueAt, 1002.25)
        let minimum = OutcomeResolver.resolve(action: action(retryTimes: 0), outcome: .failure("boom"),
                                              policy: RetryPolicy(maxRetryTimes: 1, retryInterval: 0), now: 1000, instant: 1000.5, random: 0)
        XCTAssertEqual(minimum.dueAt, 1001.5, "never sooner than a second")
    }

    func testFinalFailure_isTerminal_withMessageAndType() {
        let u = OutcomeResolver.resolve(action: action(retryTimes: 1), outcome: .failure("boom"),
                                        policy: RetryPolicy(maxRetryTimes: 1, retryInterval: 30), now: 1000, random: 0)
        XCTAssertEqual(u.status, .failure)
        XCTAssertEqual(u.failureType, "execute_failure")
        XCTAssertNil(u.dueAt)
        XCTAssertEqual(u.endTime, 1000)
        XCTAssertEqual(u.exData["message"], "boom")
        XCTAssertEqual(u.log.first?.level, 40)
    }
}

final class ParentStatusTests: XCTestCase {
    /// The original's test_sync_parent_action, plus the cases it leaves implicit.
    func testAggregation() {
        XCTAssertEqual(OutcomeResolver.parentStatus(children: Array(repeating: .failure, count: 10)), .failure)
        XCTAssertEqual(OutcomeResolver.parentStatus(children: Array(repeating: .failure, count: 10) + [.success]), .partialFailure)
        XCTAssertEqual(OutcomeResolver.parentStatus(children: [.success, .success, .skipped, .shield]), .success)
        XCTAssertNil(OutcomeResolver.parentStatus(children: [.success, .received]), "a child still waiting: leave the parent")
        XCTAssertNil(OutcomeResolver.parentStatus(children: [.skipped]), "nothing counted")
    }
}
