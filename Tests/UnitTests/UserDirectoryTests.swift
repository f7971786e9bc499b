@testable import FTAConfig
@testable import FTACore
import XCTest

final class UserDirectoryTests: XCTestCase {
    let yaml = """
        users:
          alice: {email: alice@example.com, phone: "111"}
          bob: {email: bob@example.com, phone: "222", weixin: bob_wx}
          carol: {email: carol@example.com, phone: "333"}
          dave: {email: dave@example.com}
        user_groups:
          ops:
            users: [alice, bob]
            followers: [carol, bob]
            notice_ways: {default: [mail], 1: [mail, sms, voice, wxwork-bot]}
            chat_ids: [chat-ops]
          dba:
            users: [bob, dave]
            notice_ways: {default: [mail, voice]}
        """

    func directory() throws -> UserDirectory { try FTAConfig.parse(yaml, source: "u.yaml").directory }

    func testFatalAlert_toOneGroup_givesTheOriginalsNotifyInfoShape() throws {
        let r = try directory().resolve(groups: ["ops"], level: 1)
        XCTAssertEqual(r.notifyInfo, ["mail": ["alice", "bob"], "sms": ["alice", "bob"], "voice": [["alice", "bob"]], "wxwork-bot": ["chat-ops"]])
        XCTAssertEqual(r.followNotifyInfo, ["mail": ["carol"], "sms": ["carol"], "voice": [["carol"]]], "bob is a member, so not a follower")
        XCTAssertTrue(r.unknownGroups.isEmpty)
    }

    func testOtherLevels_useTheGroupsDefaultWays() throws {
        XCTAssertEqual(try directory().resolve(groups: ["ops"], level: 3).notifyInfo, ["mail": ["alice", "bob"]])
    }

    func testVoice_parallelKeepsOneListPerGroup_serialMergesWithoutDuplicates() throws {
        let d = try directory()
        XCTAssertEqual(d.resolve(groups: ["ops", "dba"], level: 1).voice, [["alice", "bob"], ["bob", "dave"]])
        XCTAssertEqual(d.resolve(groups: ["ops", "dba"], level: 1, serialVoice: true).voice, [["alice", "bob", "dave"]])
        XCTAssertEqual(d.resolve(groups: ["ops", "dba"], level: 1).notify["mail"], ["alice", "bob", "dave"], "a user in two groups is notified once")
    }

    func testExcludedWays_unknownGroups_andTheDutySeam() throws {
        let d = try directory()
        let r = d.resolve(groups: ["ops", "ghosts"], level: 1, excludeWays: ["sms", "voice"])
        XCTAssertEqual(Set(r.notify.keys), ["mail", "wxwork-bot"])
        XCTAssertEqual(r.unknownGroups, ["ghosts"])
        let duty = d.resolve(groups: ["dba"], level: 2, onDuty: { $0 == "dba" ? ["dave"] : nil })
        XCTAssertEqual(duty.notify["mail"], ["dave"], "on-duty users replace the listed ones")
    }

    func testAddresses_perWay() throws {
        let d = try directory()
        XCTAssertEqual(d.address(of: "bob", on: "mail"), "bob@example.com")
        XCTAssertEqual(d.address(of: "bob", on: "voice"), "222")
        XCTAssertEqual(d.address(of: "bob", on: "weixin"), "bob_wx")
        XCTAssertNil(d.address(of: "dave", on: "sms"))
        XCTAssertNil(d.address(of: "nobody", on: "mail"))
    }

    func testBadGroups_nameTheSetting() {
        let cases: [(String, String)] = [
            ("users: {a: {email: a@x}}\nuser_groups: {g: {users: [a, zed]}}\n", "user_groups.g: user 'zed' is not in users"),
            ("users: {a: {email: a@x}}\nuser_groups: {g: {users: [a], notice_ways: {4: [mail]}}}\n", "user_groups.g.notice_ways.4: levels are"),
            ("user_groups: {g: {members: []}}\n", "user_groups.g.members: unknown setting"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try FTAConfig.parse(yaml, source: "u.yaml")) { e in XCTAssertTrue("\(e)".contains(expected), "\(e)") }
        }
    }
}
