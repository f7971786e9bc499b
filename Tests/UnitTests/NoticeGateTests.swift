import Foundation
@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
@testable import FTAStore
import FTATestSupport
import GRDB
import XCTest

/// The notice gate is asked with the notice's lease: a worker whose claim was taken over
/// consumes no quota, claims no de-dupe key and sends nothing.
final class NoticeGateTests: TemporaryDirectoryCase {
    var store: SQLiteStore!

    override func setUpWithError() throws {
        try super.setUpWithError()
        store = try SQLiteStore(path: dir.file("gate.db"))
    }

    func notice(_ receiver: String = "alice") -> ActionDraft {
        var d = ActionDraft(signal: "abnormal", pluginType: "notice")
        d.alerts = #"["a1"]"#
        d.inputs = JSONValue.object(["notice_way": "sms", "notice_receiver": [.string(receiver)]]).jsonText
        return d
    }

    func quota(_ hold: LeaseHold) -> GateRequest {
        GateRequest(hold: hold, kind: .quota(way: "sms", receiver: "alice", cap: 5, window: 600,
                                             digest: DigestItem(title: "cpu high", alertId: "a1", bkBizId: "2")))
    }

    func count(_ table: String) throws -> Int {
        try DatabaseQueue(path: dir.file("gate.db")).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)") ?? -1 }
    }

    /// A claims, stalls past its lease, B takes the row over.
    func takenOver() throws -> (a: ClaimedAction, b: ClaimedAction) {
        _ = try store.insert([notice()], now: 1000)
        let a = try XCTUnwrap(try store.claimDue(limit: 10, now: 1000, lease: 30, owner: "A").first)
        let b = try XCTUnwrap(try store.claimDue(limit: 10, now: 1031, lease: 30, owner: "B").first)
        XCTAssertEqual(b.id, a.id)
        return (a, b)
    }

    func testAWorkerThatLostItsLease_consumesNoQuota_andClaimsNoDedupeKey() throws {
        let (a, b) = try takenOver()
        let stale = LeaseHold(id: a.id, token: a.leaseToken)
        let decisions = try store.admit([quota(stale), GateRequest(hold: stale, kind: .once(key: "voice|+100", window: 300))], now: 1032)

        XCTAssertEqual(decisions, [.leaseLost, .leaseLost])
        XCTAssertEqual(try count("notice_quota"), 0, "no quota used by the stale worker")
        XCTAssertEqual(try count("notice_dedupe"), 0, "no de-dupe key held by the stale worker")
        XCTAssertEqual(try count("notice_digest"), 0)

        // The worker that holds the claim now is let through and counted once.
        XCTAssertEqual(try store.admit([quota(LeaseHold(id: b.id, token: b.leaseToken))], now: 1032), [.admitted])
        let used = try DatabaseQueue(path: dir.file("gate.db")).read { try Int.fetchOne($0, sql: "SELECT count FROM notice_quota") }
        XCTAssertEqual(used, 1)
    }

    func testAFinishedNotice_isNotAdmittedEither() throws {
        let (_, b) = try takenOver()
        let done = OutcomeResolver.resolve(action: b, outcome: .success("sent"), policy: .none, now: 1032, random: 0)
        XCTAssertEqual(try store.record([done], now: 1032), [])
        XCTAssertEqual(try store.admit([quota(LeaseHold(id: b.id, token: b.leaseToken))], now: 1033), [.leaseLost])
        XCTAssertEqual(try count("notice_quota"), 0)
    }

    func testTheProcessor_sendsNothing_forANoticeWhoseLeaseWasLost() throws {
        let (a, _) = try takenOver()
        let transport = ScriptedTransport([])
        let settings = TickSettings()
        let worker = WorkerContext(settings: settings, clock: .fixed(1032), http: transport)
        let processor = NoticeProcessor(channels: ["sms": GatewayChannel(settings: GatewaySettings(way: "sms", url: "https://sms.example.com/send"))],
                                        directory: UserDirectory(users: ["alice": UserContact(id: "alice", addresses: ["sms": "+100"])]),
                                        templates: NoticeTemplates(), caps: ["sms": RecipientCap(max: 5, window: 600)])

        let plan = processor.prepare(group: [a], worker: worker)
        XCTAssertEqual(plan.requests.count, 1, "the capped way asks the gate")
        let decisions = try store.admit(plan.requests, now: 1032)
        let results = processor.send(plan, decisions: decisions, worker: worker)

        XCTAssertTrue(transport.requests.isEmpty, "nothing is sent for a lost claim")
        XCTAssertEqual(results.count, 1)
        XCTAssertTrue(results[0].outcome.message.contains("claim on this notice was lost"), results[0].outcome.message)
        XCTAssertEqual(try count("notice_quota"), 0)

        // The same notice under a live claim goes out through the transport.
        let live = processor.send(plan, decisions: [.admitted], worker: worker)
        XCTAssertEqual(transport.requests.count, 1)
        XCTAssertEqual(transport.requests.first?.url, "https://sms.example.com/send")
        XCTAssertEqual(live[0].outcome.result, .finished(.success))
    }
}
