import Foundation
import FTACore
import FTATestSupport
import XCTest

/// Alert events in through `fta-tick ingest`, notices out through `fta-tick run`: the rows
/// the creation stage makes, merged sends over real SMTP and HTTP receivers, idempotent
/// re-ingest, interval repeats and bad events.
final class IngestEndToEndTests: EndToEndCase {
    var receiver: Receiver!
    var smtp: SMTPServer!

    override func setUpWithError() throws {
        try super.setUpWithError()
        receiver = try startReceiver()
        smtp = try startSMTP()
        try writeConfig("""
            channels:
              mail: {host: 127.0.0.1, port: \(smtp.port), security: none, from: fta@example.com}
              sms: {url: "\(receiver.baseURL)/sms", body: '{"phones": {{ receivers|tojson }}, "text": {{ content|tojson }}}'}
              voice: {url: "\(receiver.baseURL)/voice", per_receiver: true, body: '{"to": "{{ receiver }}"}'}
            users:
              alice: {email: alice@example.com, phone: "111"}
              bob: {email: bob@example.com, phone: "222"}
              carol: {email: carol@example.com, phone: "333"}
              dave: {email: dave@example.com, phone: "444"}
            user_groups:
              ops: {users: [alice, bob, carol], notice_ways: {default: [mail, sms]}}
              oncall: {users: [alice, bob], notice_ways: {default: [voice]}}
              leads: {users: [dave], notice_ways: {default: [mail]}}
              watched: {users: [alice], followers: [bob, alice], notice_ways: {default: [mail, voice]}}
            action_configs:
              - {id: 1, name: notice every minute, plugin_type: notice,
                 execute_config: {template_detail: {notify_interval: 60, interval_notify_mode: increasing}}}
              - {id: 2, name: notice standard, plugin_type: notice,
                 execute_config: {template_detail: {notify_interval: 60, interval_notify_mode: standard}}}
              - {id: 3, name: no repeats, plugin_type: notice,
                 execute_config: {template_detail: {need_poll: false, notify_interval: 60}}}
            """)
    }

    func event(_ alert: String, signal: String = "abnormal", configId: Int = 3, groups: [String] = ["ops"],
               status: String? = nil, extra: [String: JSONValue] = [:]) -> JSONValue {
        let st = status ?? (signal == "recovered" ? "RECOVERED" : signal == "closed" ? "CLOSED" : "ABNORMAL")
        var o: [String: JSONValue] = [
            "signal": .string(signal),
            "alert": ["id": .string(alert), "alert_name": "CPU usage high", "strategy_id": 7, "severity": 1, "status": .string(st),
                      "begin_time": .int(t0), "latest_time": .int(t0), "event": ["bk_biz_id": 2]],
            "strategy": ["id": 7, "name": "cpu high", "bk_biz_id": 2,
                         "notice": ["id": 70, "config_id": .int(Int64(configId)), "signal": ["abnormal", "recovered", "closed"],
                                    "user_groups": .array(groups.map { .string($0) })]],
        ]
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    @discardableResult
    func ingest(_ events: [JSONValue], at t: Int64? = nil, expect status: Int32 = 0,
                file: StaticString = #filePath, line: UInt = #line) throws -> (ids: [Int64], result: CommandResult) {
        let r = try tick(["ingest", "-"], at: t, expect: status, stdin: Actions.lines(events), file: file, line: line)
        return (ids(r), r)
    }

    func pass(at t: Int64, file: StaticString = #filePath, line: UInt = #line) throws {
        try tick(["run"], at: t, file: file, line: line)
    }

    func testAbnormalEvent_mailAndSMSToAGroupOfThree_rowsAsTheOriginal_oneMergedSendPerWay_parentSuccess() throws {
        let (ids, _) = try ingest([event("a-1")])
        let all = try actionRows()
        XCTAssertEqual(ids.count, 7)
        XCTAssertEqual(all.count, 7, "1 parent + 3 users × 2 ways")
        let parent = all[0]
        XCTAssertTrue(parent.isParentAction)
        XCTAssertEqual(parent.pluginType, "notice")
        XCTAssertEqual(parent.strategyRelationId, 70)
        XCTAssertEqual(parent.alertLevel, 1)
        XCTAssertEqual(parent.bkBizId, "2")
        let inputs = parent.inputs
        XCTAssertEqual(inputs["notify_info"], ["mail": ["alice", "bob", "carol"], "sms": ["alice", "bob", "carol"]])
        XCTAssertEqual(inputs["is_alert_shielded"], false)
        XCTAssertEqual(inputs["time_range"], "00:00:00--23:59:59")
        let uuid = parent.generateUUID
        XCTAssertEqual(uuid.count, 32)
        var pairs: [String] = []
        for child in all.dropFirst() {
            XCTAssertEqual(child.parentActionId, parent.id)
            XCTAssertEqual(child.generateUUID, uuid, "children share the batch id")
            let i = child.inputs
            pairs.append("\(i["notice_way"]!.stringValue!):\(i["notice_receiver"]!.stringValue!)")
            XCTAssertEqual(i["followed"], false)
        }
        XCTAssertEqual(pairs.sorted(), ["mail:alice", "mail:bob", "mail:carol", "sms:alice", "sms:bob", "sms:carol"])

        try pass(at: t0)
        let mails = try smtp.messages()
        XCTAssertEqual(mails.count, 1, "one merged mail")
        XCTAssertEqual(Set(mails[0]["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue) ?? []), ["alice@example.com", "bob@example.com", "carol@example.com"])
        XCTAssertEqual(mails[0]["subject"]?.stringValue, "[fatal] alert: CPU usage high")
        XCTAssertTrue(mails[0]["body"]?.stringValue?.contains("Alert id</td><td>a-1") ?? false)
        let sms = try receiver.requests().filter { $0["path"]?.stringValue == "/sms" }
        XCTAssertEqual(sms.count, 1, "one merged SMS request")
        let body = try JSONParser.parse(try XCTUnwrap(sms.first?["body"]?.stringValue))
        XCTAssertEqual(Set(body["phones"]?.arrayValue?.compactMap(\.stringValue) ?? []), ["111", "222", "333"])
        let after = try actionRows()
        XCTAssertEqual(after.map(\.status), Array(repeating: "success", count: 7))
    }

    /// Children are grouped by a scan of their inputs that does not validate them; a child the
    /// worker's strict parse refuses fails on its own, even as the group's first, and its
    /// group still goes out as one message to the rest.
    func testChildWithUnreadableInputs_failsAlone_theRestOfItsGroupIsSentMerged() throws {
        try ingest([event("a-1")])
        let mailChildren = try actionRows().filter { !$0.isParentAction && $0.inputs["notice_way"] == "mail" }.sorted { $0.id < $1.id }
        XCTAssertEqual(mailChildren.count, 3)
        let broken = mailChildren[0]
        // Still says mail to a scan; a duplicate key further in makes it invalid JSON.
        try DatabaseTamper.setInputs(db, id: broken.id, #"{"followed":false,"notice_receiver":"alice","notice_way":"mail","notify_info":{"mail":[],"mail":[]}}"#)
        try pass(at: t0)
        let mails = try smtp.messages()
        XCTAssertEqual(mails.count, 1, "one merged mail for the others")
        XCTAssertEqual(Set(mails.first?["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue) ?? []), ["bob@example.com", "carol@example.com"])
        // Its idempotency key (the Message-ID) is the first readable child's, which was sent.
        let lead = mailChildren[1]
        XCTAssertEqual(mails.first?["message_id"], .string("<fta-\(lead.createTime)\(lead.id)-execute-1@fta>"))
        // Read through `show`, as an operator would (the test's row decoder refuses the broken inputs).
        func shown(_ id: Int64) throws -> JSONValue { try json(tick(["show", "--json", "\(id)"], without: [.now, .config], expect: nil))["action"] ?? .null }
        let failed = try shown(broken.id)
        XCTAssertEqual(failed["status"], "failure")
        XCTAssertEqual(failed["ex_data"]?["message"], "notice config empty: inputs.notice_way is missing")
        for other in mailChildren.dropFirst() { XCTAssertEqual(try shown(other.id)["status"], "success") }
        XCTAssertEqual(try receiver.requests().filter { $0["path"]?.stringValue == "/sms" }.count, 1, "the SMS group is untouched")
    }

    func testSameEventTwice_noNewActions_andTheSecondRunSaysSo() throws {
        let first = try ingest([event("a-1")])
        XCTAssertEqual(first.ids.count, 7)
        let second = try ingest([event("a-1")])
        XCTAssertEqual(second.ids, [])
        XCTAssertTrue(second.result.stderr.contains("already ingested"), second.result.stderr)
        XCTAssertEqual(try actionRows().count, 7)
        // Another alert, or another signal of the same alert, is new.
        XCTAssertEqual(try ingest([event("a-2")]).ids.count, 7)
        XCTAssertEqual(try ingest([event("a-1", signal: "recovered")]).ids.count, 7)
    }

    /// Rounds of abnormal notices created for `alert` (parents), by creation time.
    func rounds(_ alert: String = "a-1") throws -> [Int64] {
        try actionRows().filter { $0.isParentAction && $0.signal == "abnormal" && $0.alerts == [alert] }.map(\.createTime)
    }

    func testIntervalIncreasing_repeatsAfter60_120_240s_thenRecoveredStopsThem() throws {
        try ingest([event("a-1", configId: 1)])
        for t in stride(from: t0, through: t0 + 430, by: 10) { try pass(at: t) }
        XCTAssertEqual(try rounds().map { $0 - t0 }, [0, 60, 180, 420], "gaps of 60, 120 and 240 s")
        let mails = try smtp.messages()
        XCTAssertEqual(mails.count, 4, "one mail per round")
        let parents = try actionRows().filter(\.isParentAction)
        XCTAssertEqual(parents.map(\.executeTimes), [1, 2, 3, 4], "execute_times counts the rounds")
        XCTAssertEqual(parents.map(\.isPolled), [true, true, true, false], "earlier rounds are marked polled")
        XCTAssertEqual(parents.last?.needPoll, true, "the latest round waits for the next")

        let status = try json(tick(["status", "--json"], at: t0 + 430, without: .config, expect: nil))
        XCTAssertEqual(status["repeats_active"], 1)
        XCTAssertEqual(status["next_repeat_at"], .int(t0 + 420 + 480))
        try ingest([event("a-1", signal: "recovered")], at: t0 + 500)
        for t in stride(from: t0 + 500, through: t0 + 1500, by: 100) { try pass(at: t) }
        XCTAssertEqual(try rounds().count, 4, "no repeat after the recovery")
        let after = try json(tick(["status", "--json"], at: t0 + 1500, without: .config, expect: nil))
        XCTAssertEqual(after["repeats_active"], 0)
    }

    func testIntervalStandard_repeatsEvery60s_andOneCatchUpRoundAfterDowntime() throws {
        try ingest([event("a-1", configId: 2)])
        for t in [t0, t0 + 30, t0 + 60, t0 + 90, t0 + 120, t0 + 180] { try pass(at: t) }
        XCTAssertEqual(try rounds().map { $0 - t0 }, [0, 60, 120, 180])
        // Nothing ran for ten minutes: one catch-up round, then every 60 s from it.
        try pass(at: t0 + 780)
        try pass(at: t0 + 800)
        try pass(at: t0 + 840)
        XCTAssertEqual(try rounds().map { $0 - t0 }, [0, 60, 120, 180, 780, 840])
    }

    func testLostRecoveryEvent_repeatsStopAfterTheSeenWindow_anAlertStillSeenKeepsRepeating() throws {
        try writeConfig(try configText() + "\ntick: {repeat_seen_window: 600}\n", name: "seen.yaml")
        try ingest([event("a-1", configId: 2), event("a-2", configId: 2)])
        for t in stride(from: t0, through: t0 + 1500, by: 60) {
            // The monitoring system reports a-2 abnormal again every five minutes; a-1 never again
            // (and its recovery event is lost).
            if t > t0 && (t - t0) % 300 == 0 {
                let again = event("a-2", configId: 2)
                try ingest([again.setting("alert", again["alert"]!.setting("latest_time", .int(t)))], at: t)
            }
            try pass(at: t)
        }
        XCTAssertEqual(try rounds("a-1").map { $0 - t0 }, Array(stride(from: 0, through: 600, by: 60)), "no round more than 600 s after a-1 was last seen")
        XCTAssertEqual(try rounds("a-2").count, 26, "a-2 is still seen: every 60 s through 1500 s")
        let status = try json(tick(["status", "--json"], at: t0 + 1500, without: .config, expect: nil))
        XCTAssertEqual(status["repeats_active"], 1)
    }

    func testRepeats_stopAtTheirRoundCap() throws {
        try writeConfig(try configText() + "\ntick: {repeat_max_rounds: 3}\n", name: "cap.yaml")
        try ingest([event("a-1", configId: 2)])
        for t in stride(from: t0, through: t0 + 600, by: 60) { try pass(at: t) }
        XCTAssertEqual(try rounds().map { $0 - t0 }, [0, 60, 120], "three rounds in all")
    }

    func testClosedStopsRepeats_andAnOtherAlertKeepsItsOwn() throws {
        try ingest([event("a-1", configId: 2), event("a-2", configId: 2)])
        try pass(at: t0)
        try ingest([event("a-1", signal: "closed")], at: t0 + 30)
        try pass(at: t0 + 60)
        XCTAssertEqual(try rounds("a-1").count, 1)
        XCTAssertEqual(try rounds("a-2").count, 2)
    }

    func testVoice_twoChildrenForTheSameReceiversWithin120s_oneCall_theOtherSystemAbort() throws {
        // Two alerts of the voice group: the same receiver lists, one call each per window.
        try ingest([event("a-1", groups: ["oncall"]), event("a-2", groups: ["oncall"])])
        try pass(at: t0)
        let calls = try receiver.requests().filter { $0["path"]?.stringValue == "/voice" }
        XCTAssertEqual(calls.count, 2, "alice and bob called once: \(calls)")
        let children = try actionRows().filter { !$0.isParentAction }
        // One voice child per alert, for the group's list [alice, bob].
        XCTAssertEqual(children.map(\.status).sorted(), ["failure", "success"])
        let aborted = children.filter { $0.failureType == "system_abort" }
        XCTAssertEqual(aborted.count, 1)
        XCTAssertTrue(aborted[0].exData.jsonText.contains("voice alarm defended by package"))
    }

    func testSerialVoice_oneChildForTheMergedList() throws {
        try writeConfig(try configText() + """

              - {id: 9, name: serial voice, plugin_type: notice,
                 execute_config: {template_detail: {need_poll: false, voice_notice: serial}}}
            """, name: "serial.yaml")
        try ingest([event("a-1", configId: 9, groups: ["oncall", "ops"])])
        let voice = try actionRows().filter { $0.inputs["notice_way"] == "voice" }
        XCTAssertEqual(voice.count, 1)
        XCTAssertEqual(voice[0].inputs["notice_receiver"], ["alice", "bob"])
    }

    func testFailingGatewayForOneWay_parentPartialFailure() throws {
        try receiver.script(path: "/sms", statuses: [500], body: "gateway down")
        try ingest([event("a-1")])
        try pass(at: t0)
        let all = try actionRows()
        XCTAssertEqual(all[0].status, "partial_failure")
        XCTAssertEqual(all.dropFirst().map(\.status).sorted(), ["failure", "failure", "failure", "success", "success", "success"])
    }

    func testTemplateWithASyntaxError_failsThatAction_namingTheTemplate_othersUnaffected() throws {
        let broken: JSONValue = ["id": 50, "name": "broken", "plugin_type": "notice", "execute_config": ["template_detail": [
            "need_poll": false, "template": [["signal": "abnormal", "title_tmpl": "x", "message_tmpl": "{% if %}"]]]]]
        var bad = event("a-1", groups: ["leads"], extra: ["action_configs": [broken]])
        bad = bad.setting("strategy", bad["strategy"]!.setting("notice", bad["strategy"]!["notice"]!.setting("config_id", 50)))
        try ingest([bad, event("a-2", groups: ["leads"])])
        try pass(at: t0)
        let all = try actionRows()
        let failed = all.filter { $0.status == "failure" && !$0.isParentAction }
        XCTAssertEqual(failed.count, 1)
        XCTAssertTrue(failed[0].exData["message"]?.stringValue?.contains("template[abnormal].message_tmpl") ?? false)
        XCTAssertEqual(try smtp.messages().count, 1, "the other alert's mail went out")
    }

    func testBadEvents_lineNumberedErrors_exit1_goodEventsStored() throws {
        var unknown = event("a-3")
        unknown = unknown.setting("strategy", unknown["strategy"]!.setting("notice", unknown["strategy"]!["notice"]!.setting("config_id", 404)))
        let text = [
            event("a-1").jsonText,
            #"{"alert": {"id": "x"}}"#,
            unknown.jsonText,
            #"{"signal": "abnormal", "alert": {"id": "#,
            "",
            event("a-2").jsonText,
        ].joined(separator: "\n") + "\n"
        let file = try dir.write("events.jsonl", text)
        let r = try tick(["ingest", file], expect: 1)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.contains("events.jsonl line 2: signal: missing") }, r.stderr)
        XCTAssertTrue(lines.contains { $0.contains("events.jsonl line 3: strategy.notice.config_id: action config 404 is not in") }, r.stderr)
        XCTAssertTrue(lines.contains { $0.contains("events.jsonl line 4: malformed JSON") }, r.stderr)
        XCTAssertEqual(Set(try actionRows().map(\.alerts)), [["a-1"], ["a-2"]])
        XCTAssertEqual(try actionRows().count, 14)
    }

    func testShieldedAlert_parentOnly_skipped_noSends() throws {
        var shielded = event("a-1")
        shielded = shielded.setting("alert", shielded["alert"]!.merging(["is_shielded": true, "shield_id": [12]]))
        try ingest([shielded])
        let all = try actionRows()
        XCTAssertEqual(all.count, 1)
        XCTAssertEqual(all[0].inputs["is_alert_shielded"], true)
        try pass(at: t0)
        XCTAssertEqual(try actionRows()[0].status, "skipped")
        XCTAssertEqual(try smtp.messages().count, 0)
    }

    func testStatusMismatch_andRelationsNotForTheSignal_createNothing() throws {
        // The alert has recovered already (beyond the one-minute grace): the abnormal event is stale.
        let stale = event("a-1", status: "RECOVERED")
        let r = try ingest([stale], at: t0 + 300)
        XCTAssertEqual(r.ids, [])
        XCTAssertEqual(try actionRows().count, 0)
        // ack is not among the notice relation's signals.
        XCTAssertEqual(try ingest([event("a-2", signal: "ack")]).ids, [])
    }

    // MARK: Execution notices

    /// An event whose strategy has a webhook action, and a notice relation to `leads` (mail)
    /// asking for the execution signals.
    func webhookEvent(_ alert: String, maxRetryTimes: Int) -> JSONValue {
        let hook = Actions.webhook(url: "\(receiver.baseURL)/hook", maxRetryTimes: maxRetryTimes)["action_config"]!
            .merging(["id": 20, "name": "restart service", "plugin_type": "webhook"])
        var e = event(alert, groups: ["leads"], extra: ["action_configs": [hook]])
        var strategy = e["strategy"]!
        strategy = strategy.setting("notice", strategy["notice"]!.setting("signal", ["execute", "execute_success", "execute_failed"]))
        strategy = strategy.setting("actions", [["id": 71, "config_id": 20, "signal": ["abnormal"], "user_groups": ["leads"]]])
        e = e.setting("strategy", strategy)
        return e
    }

    func testTheOriginalsDefaultWebhook_postsTheWholeAlertAsCallbackMessage() throws {
        // The original's default webhook package: the body is `{{alarm.callback_message}}`.
        let hook = Actions.webhook(url: "\(receiver.baseURL)/hook", maxRetryTimes: 0, detail: [
            "body": ["data_type": "raw", "content_type": "json", "content": "{{alarm.callback_message}}"],
            "headers": [["key": "X-Level", "value": "{{ alarm.level_name }}", "is_enabled": true]],
        ])["action_config"]!.merging(["id": 20, "name": "callback", "plugin_type": "webhook"])
        var e = event("a-1", groups: ["leads"], extra: ["action_configs": [hook]])
        let alert = e["alert"]!.setting("dimensions", [["key": "bk_target_ip", "value": "10.0.0.1", "display_key": "IP", "display_value": "10.0.0.1"]])
            .setting("event", ["id": "ev-1", "bk_biz_id": 2, "description": "CPU >= 95%", "target_type": "HOST"])
        e = e.setting("alert", alert)
        e = e.setting("strategy", e["strategy"]!.setting("actions", [["id": 71, "config_id": 20, "signal": ["abnormal"], "user_groups": ["leads"]]]))
        try writeConfig(try configText() + "\ntick: {timezone: UTC}\ntemplates: {business_names: {\"2\": \"Payments\"}}\n", name: "cb.yaml")
        try ingest([e])
        try pass(at: t0)
        let sent = try XCTUnwrap(try receiver.requests().first { $0["path"]?.stringValue == "/hook" })
        let body = try XCTUnwrap(sent["body"]?.stringValue)
        let message = try JSONParser.parse(body)
        XCTAssertEqual(message["type"], "ANOMALY_NOTICE")
        XCTAssertEqual(message["bk_biz_name"], "Payments")
        XCTAssertEqual(message["event"]?["id"], "a-1")
        XCTAssertEqual(message["event"]?["level_name"], "Emergency")
        XCTAssertEqual(message["strategy"]?["id"], e["strategy"]?["id"])
        XCTAssertEqual(message["latest_anomaly_record"]?["anomaly_id"], "ev-1")
        XCTAssertTrue(message["description"]?.stringValue?.hasSuffix("CPU >= 95%") ?? false, body)
        XCTAssertTrue(body.hasPrefix("{\"type\": \"ANOMALY_NOTICE\", \"scenario\": "), "written as the original's json.dumps: \(body)")
        XCTAssertEqual(sent["headers"]?["X-Level"] ?? sent["headers"]?["x-level"], "Emergency")
    }

    /// `webhookEvent` whose webhook relation has the processing window `options`.
    func windowedEvent(_ alert: String, options: JSONValue) -> JSONValue {
        let e = webhookEvent(alert, maxRetryTimes: 0)
        let strategy = e["strategy"]!
        return e.setting("strategy", strategy.setting("actions", [["id": 71, "config_id": 20, "signal": ["abnormal"], "user_groups": ["leads"],
                                                                    "options": options]]))
    }

    func testProcessingWindow_outsideIsShieldedWithTheReason_insideRuns() throws {
        // t0 is 11:06:40 UTC.
        try writeConfig(try configText() + "\ntick: {timezone: UTC}\n", name: "utc.yaml")
        try ingest([windowedEvent("a-1", options: ["start_time": "09:00:00", "end_time": "10:00:00"]),
                    windowedEvent("a-2", options: ["time_range": "11:00:00--12:00:00"]),
                    windowedEvent("a-3", options: ["start_time": "22:00:00", "end_time": "02:00:00"]),
                    windowedEvent("a-4", options: ["start_time": "23:00:00", "end_time": "11:30:00"])])
        try pass(at: t0)
        let hooks = try actionRows().filter { $0.pluginType == "webhook" }
        let status = Dictionary(uniqueKeysWithValues: hooks.map { ($0.alerts.first ?? "", $0.status) })
        XCTAssertEqual(status, ["a-1": "shield", "a-2": "success", "a-3": "shield", "a-4": "success"], "a window over midnight counts")
        let a1 = try XCTUnwrap(hooks.first { $0.alerts == ["a-1"] })
        XCTAssertEqual(a1.exData["message"]?.stringValue,
                       "alert shielded: the current time (11:06:40) is outside the processing time range [09:00:00--10:00:00]")
        XCTAssertEqual(try receiver.requests().filter { $0["path"]?.stringValue == "/hook" }.count, 2, "only the two inside their window ran")
        // The same windows read in another zone: at 19:06:40 in Shanghai, a-5 (09:00–10:00 there too) is still outside,
        // a-6 (19:00–20:00) inside.
        try writeConfig(try configText().replacingOccurrences(of: "timezone: UTC", with: "timezone: Asia/Shanghai"), name: "cn.yaml")
        try ingest([windowedEvent("a-5", options: ["start_time": "09:00:00", "end_time": "10:00:00"]),
                    windowedEvent("a-6", options: ["start_time": "19:00:00", "end_time": "20:00:00"])])
        try pass(at: t0)
        let later = Dictionary(uniqueKeysWithValues: try actionRows().filter { $0.pluginType == "webhook" }.map { ($0.alerts.first ?? "", $0.status) })
        XCTAssertEqual(later["a-5"], "shield")
        XCTAssertEqual(later["a-6"], "success")
        try writeConfig(try configText().replacingOccurrences(of: "timezone: Asia/Shanghai", with: "timezone: Mars/Base"), name: "bad.yaml")
        let r = try tick(["run"], at: t0, expect: 2)
        XCTAssertTrue(r.stderr.contains("timezone"), r.stderr)
    }

    /// `fta-tick render --way sms` of `e`, then `e` through ingest and a pass: the preview and the
    /// text the SMS gateway received.
    func renderedAndSent(_ e: JSONValue) throws -> (file: String, preview: JSONValue, sent: String) {
        let file = try dir.write("event.json", e.jsonText)
        let preview = try json(tick(["render", "--event", file, "--way", "sms", "--json"], at: t0))
        try ingest([e])
        try pass(at: t0)
        let sent = try XCTUnwrap(try receiver.requests().first { $0["path"]?.stringValue == "/sms" })
        let text = try XCTUnwrap(JSONParser.parse(try XCTUnwrap(sent["body"]?.stringValue))["text"]?.stringValue)
        return (file, preview, text)
    }

    func testRender_showsTheNoticeThePassSends_andATemplateForTheEvent() throws {
        // The same event through ingest and a pass: the SMS gateway gets exactly that text.
        let (file, preview, sent) = try renderedAndSent(event("a-1"))
        XCTAssertEqual(preview["way"], "sms")
        XCTAssertEqual(sent, preview["content"]?.stringValue)
        XCTAssertFalse(preview["content"]?.stringValue?.isEmpty ?? true)
        let mail = try XCTUnwrap(try smtp.messages().first)
        let mailPreview = try json(tick(["render", "--event", file, "--way", "mail", "--json"], at: t0))
        XCTAssertEqual(mail["subject"], mailPreview["title"])

        let requestsBefore = try receiver.requests().count
        let template = try dir.write("body.j2", "{\"host\": \"{{ alert.id }}\", \"name\": \"{{ alert.alert_name|upper }}\", \"signal\": \"{{ action.signal }}\"}")
        let r = try tick(["render", "--event", file, "--template", template], at: t0)
        XCTAssertEqual(r.stdout.trimmingCharacters(in: .newlines), "{\"host\": \"a-1\", \"name\": \"CPU USAGE HIGH\", \"signal\": \"abnormal\"}")
        XCTAssertEqual(try receiver.requests().count, requestsBefore, "render sends nothing")

        let noWay = try tick(["render", "--event", file, "--way", "voice"], at: t0, expect: 2)
        XCTAssertTrue(noWay.stderr.contains("the event sends no 'voice' notice (its ways: mail, sms)"), noWay.stderr)
        let broken = try dir.write("broken.json", "{\"signal\": ")
        let bad = try tick(["render", "--event", broken, "--way", "sms"], at: t0, expect: 2)
        XCTAssertTrue(bad.stderr.contains("--event \(broken)"), bad.stderr)
    }

    func testTheOriginalsNoticeStyle_whatTheGatewayReceives() throws {
        try writeConfig(try configText() + "\ntick: {timezone: Asia/Shanghai}\ntemplates: {language: zh, style: original, business_names: {\"2\": \"蓝鲸\"}}\n",
                        name: "original.yaml")
        let (_, preview, text) = try renderedAndSent(event("a-1"))
        XCTAssertEqual(preview["title"], "蓝鲸监控 ｜ 蓝鲸 - CPU usage high 发生告警")
        XCTAssertEqual(text, preview["content"]?.stringValue)
        XCTAssertTrue(text.hasPrefix("蓝鲸监控通知，[致命]CPU usage high\n内容: 新告警\n所属空间: [2]蓝鲸 (业务)"), text)
        XCTAssertTrue(text.hasSuffix("告警ID: a-1"), text)
        let mail = try XCTUnwrap(try smtp.messages().first)
        XCTAssertEqual(mail["subject"], "【致命】蓝鲸 - CPU usage high 发生告警")
    }

    func executionMails() throws -> [String] {
        try smtp.messages().compactMap { $0["subject"]?.stringValue }.sorted()
    }

    func testExecutionNotices_startAndSuccess_toTheStrategysNoticeGroups() throws {
        try ingest([webhookEvent("a-1", maxRetryTimes: 0)])
        try pass(at: t0)   // the webhook runs
        try pass(at: t0 + 1)   // its notices go out
        XCTAssertEqual(try receiver.requests().filter { $0["path"]?.stringValue == "/hook" }.count, 1)
        XCTAssertEqual(try executionMails(), ["[fatal] action started: restart service", "[fatal] action succeeded: restart service"])
        let notices = try actionRows().filter { $0.signal.lowercased().hasPrefix("execute") }
        XCTAssertEqual(notices.map(\.signal), ["execute", "execute_success"])
        XCTAssertEqual(notices.map(\.status), ["success", "success"])
        XCTAssertEqual(notices[0].inputs["notice_receiver"], "dave")
        // As the original keeps them: the results in the webhook's outputs, by step (3 begin,
        // 2 success) and way.
        let hook = try XCTUnwrap(try actionRows().first { $0.signal == "abnormal" })
        let results = try XCTUnwrap(hook.outputs["execute_notify_result"], hook.outputs.jsonText)
        XCTAssertEqual(results.objectValue.map { Set($0.keys) }, ["3", "2"])
        for (step, notice) in zip(["3", "2"], notices) {
            let sent = try XCTUnwrap(results[step]?["mail"]?.arrayValue, results.jsonText)
            XCTAssertEqual(sent.count, 1)
            XCTAssertEqual(sent[0]["receiver"], "dave")
            XCTAssertEqual(sent[0]["result"], true)
            XCTAssertEqual(sent[0]["action_id"], .int(notice.id))
        }
    }

    func testExecutionNotices_beginAndFinalByDefault_everyAttemptOrOnlyTheFinalFailureWhenConfigured() throws {
        try receiver.script(path: "/hook", statuses: Array(repeating: 500, count: 6), body: "down")
        // The original's way: the start and the final result; the retried attempt says nothing.
        try ingest([webhookEvent("a-0", maxRetryTimes: 1)])
        for t in [t0, t0 + 1, t0 + 2, t0 + 3] { try pass(at: t) }
        XCTAssertEqual(try executionMails(), ["[fatal] action failed: restart service", "[fatal] action started: restart service"])
        let final = try XCTUnwrap(smtp.messages().first { $0["subject"]?.stringValue?.contains("failed") ?? false }?["body"]?.stringValue)
        XCTAssertTrue(final.contains("status_code: 500, content: down") && !final.contains("retrying"), final)

        try writeConfig(try configText() + "\ntick: {execute_notice: every_attempt}\n", name: "every.yaml")
        let before = try smtp.messages().count
        try ingest([webhookEvent("a-1", maxRetryTimes: 1)], at: t0 + 5)
        for t in [t0 + 5, t0 + 6, t0 + 7, t0 + 8] { try pass(at: t) }
        let every = try smtp.messages().dropFirst(before)
        XCTAssertEqual(every.compactMap { $0["subject"]?.stringValue }.sorted(),
                       ["[fatal] action failed: restart service", "[fatal] action failed: restart service", "[fatal] action started: restart service"])
        let body = try XCTUnwrap(every.first { $0["body"]?.stringValue?.contains("retrying") ?? false }?["body"]?.stringValue, "the retried attempt is reported")
        XCTAssertTrue(body.contains("status_code: 500, content: down"), body)

        // The same with final_failure_only (or the earlier execute_notice_final_failure_only: true):
        // one notice, after the last attempt.
        try writeConfig(try configText().replacingOccurrences(of: "tick: {execute_notice: every_attempt}", with: "tick: {execute_notice_final_failure_only: true}"),
                        name: "final.yaml")
        try ingest([webhookEvent("a-2", maxRetryTimes: 1)])
        for t in [t0 + 10, t0 + 11, t0 + 12, t0 + 13] { try pass(at: t) }
        let forA2 = try actionRows().filter { $0.signal.lowercased().hasPrefix("execute") && $0.alerts == ["a-2"] }.map(\.signal)
        XCTAssertEqual(forA2, ["execute_failed"])
    }

    // MARK: Per-recipient cap

    func testRecipientCap_furtherNoticesFoldIntoOneDigest_sentWhenTheWindowEnds() throws {
        try writeConfig(try configText()
            .replacingOccurrences(of: "security: none, from: fta@example.com}", with: "security: none, from: fta@example.com, recipient_cap: {max: 2, window: 600}}"),
                        name: "capped.yaml")
        let storm = (1...5).map { i in
            event("a-\(i)", groups: ["leads"]).setting("alert", event("a-\(i)")["alert"]!.setting("alert_name", .string("disk full on host-\(i)")))
        }
        try ingest(storm)
        try pass(at: t0)
        XCTAssertEqual(try smtp.messages().count, 2, "two mails reach dave, the rest wait for the digest")
        // Workers run the five sends concurrently: which two go out first is not fixed.
        let children = try actionRows().filter { !$0.isParentAction }
        XCTAssertEqual(children.map(\.status).sorted(), ["skipped", "skipped", "skipped", "success", "success"])
        let heldBack = children.filter { $0.status == "skipped" }
        for h in heldBack {
            XCTAssertTrue(h.exData.jsonText.contains("folded into dave's mail digest: cap of 2 per 600 s"), h.exData.jsonText)
        }
        let heldAlerts = heldBack.compactMap(\.alerts.first)

        try pass(at: t0 + 300)
        XCTAssertEqual(try smtp.messages().count, 2, "no digest before the window ends")
        try pass(at: t0 + 600)
        let mails = try smtp.messages()
        XCTAssertEqual(mails.count, 3)
        let digest = mails[2]
        XCTAssertEqual(digest["subject"]?.stringValue, "3 notices held back")
        XCTAssertEqual(digest["rcpt_tos"], ["dave@example.com"])
        let body = try XCTUnwrap(digest["body"]?.stringValue)
        for alert in heldAlerts {
            XCTAssertTrue(body.contains("disk full on host-\(alert.dropFirst(2))"), body)
        }
        XCTAssertEqual(heldAlerts.count, 3)
        // A new window: sends go out again.
        try ingest([event("a-9", groups: ["leads"])], at: t0 + 700)
        try pass(at: t0 + 700)
        XCTAssertEqual(try smtp.messages().count, 4)
    }

    // MARK: Stored user groups

    func testGroupsImportedIntoTheDatabase_serveIngest_andBadFilesAreRefused() throws {
        let file = try dir.write("directory.yaml", """
            users:
              erin: {email: erin@example.com, phone: "555"}
            user_groups:
              dbops: {name: Database ops, users: [erin, alice], notice_ways: {default: [mail]}}
            """)
        // alice is not in this file: refused until she is stored.
        let refused = try tick(["groups", "import", file], without: [.now, .config], expect: 2)
        XCTAssertTrue(refused.stderr.contains("user_groups.dbops: user 'alice' is not in users"), refused.stderr)
        let users = try dir.write("users.yaml", "users:\n  alice: {email: alice@example.com}\n")
        try tick(["groups", "import", users], without: [.now, .config])
        let stored = try tick(["groups", "import", file], without: [.now, .config])
        XCTAssertEqual(stored.stdout, "stored 1 users and 1 groups\n")

        let list = try json(tick(["groups", "list", "--json"], without: .now, expect: nil))
        XCTAssertEqual(list.arrayValue?.compactMap { $0["id"]?.stringValue }, ["dbops", "leads", "oncall", "ops", "watched"])

        try ingest([event("a-1", groups: ["dbops"])])
        let parent = try actionRows()[0]
        XCTAssertEqual(parent.inputs["notify_info"], ["mail": ["erin", "alice"]])
        try pass(at: t0)
        XCTAssertEqual(Set(try smtp.messages()[0]["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue) ?? []), ["erin@example.com", "alice@example.com"])
    }

    func testUnknownGroup_isAWarning_theOtherGroupsAreNotified() throws {
        let r = try ingest([event("a-1", groups: ["ghosts", "leads"])], expect: 1)
        XCTAssertTrue(r.result.stderr.contains("line 1: strategy.notice.user_groups: group 'ghosts' is not in the config's user_groups"), r.result.stderr)
        XCTAssertEqual(try actionRows()[0].inputs["notify_info"], ["mail": ["dave"]])
    }

    // MARK: Followers and the message queue

    func testFollowers_getTheirOwnChildren_membersAreNotNotifiedTwice() throws {
        try ingest([event("a-1", groups: ["watched"])])
        let parent = try actionRows()[0]
        let inputs = parent.inputs
        XCTAssertEqual(inputs["notify_info"], ["mail": ["alice"], "voice": [["alice"]]])
        XCTAssertEqual(inputs["follow_notify_info"], ["mail": ["bob"], "voice": [["bob"]]])
        let children = try actionRows().filter { !$0.isParentAction }.map(\.inputs)
        let described = children.map { "\($0["notice_way"]!.stringValue!):\($0["notice_receiver"]!.jsonText):\($0["followed"]!.jsonText)" }
        XCTAssertEqual(described.sorted(), ["mail:\"alice\":false", "mail:\"bob\":true", "voice:[\"alice\"]:false", "voice:[\"bob\"]:true"])
    }

    func testMessageQueueConfigured_everyEventAlsoMakesAMessageQueueAction() throws {
        try writeConfig(try configText() + "\nmessage_queue: {dsn: \"redis://127.0.0.1:6379/0/fta\"}\n", name: "mq.yaml")
        try ingest([event("a-1"), event("a-1", signal: "recovered")])
        let mq = try actionRows().filter { $0.pluginType == "message_queue" }
        XCTAssertEqual(mq.map(\.signal), ["abnormal", "recovered"])
        XCTAssertEqual(mq.map(\.alerts), [["a-1"], ["a-1"]])
        XCTAssertEqual(mq[0].actionConfig, [:], "no action config, as the original")
        // Shielded alerts are pushed unless message_queue.push_shielded_alerts is false.
        try writeConfig(try configText().replacingOccurrences(of: "message_queue: {dsn:", with: "message_queue: {push_shielded_alerts: false, dsn:"), name: "mq2.yaml")
        let shielded = event("a-2").setting("alert", event("a-2")["alert"]!.setting("is_shielded", true))
        try ingest([shielded])
        XCTAssertEqual(try actionRows().filter { $0.alerts == ["a-2"] && $0.pluginType == "message_queue" }.count, 0)
    }
}
