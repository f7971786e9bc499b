import Foundation
@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
@testable import FTATemplates
@testable import FTAPasses
import FTATestSupport
import XCTest

/// The per-worker config cache and the lazily parsed template context: faster, never different.
final class ConfigCacheTests: XCTestCase {
    let settings = TickSettings()

    func action(id: Int64, configId: Int64 = 7, url: String = "http://h/{{ alert.id }}", body: String = "{{ alert.event.ip }}",
                alert: JSONValue) -> ClaimedAction {
        var a = ClaimedAction(id: id, leaseToken: 1, createTime: 1_795_000_000)
        a.actionConfigId = configId
        a.text.actionConfig = JSONValue.object(["id": .int(configId), "name": "hook", "execute_config": ["template_detail": [
            "method": "POST", "url": .string(url), "body": ["data_type": "raw", "content_type": "text", "content": .string(body)],
        ]]]).jsonText
        a.text.alert = alert.jsonText
        a.text.alerts = #"["first"]"#
        return a
    }

    func testTwoActionsWithTheSameConfig_butDifferentAlerts_renderDifferently_andTheConfigIsParsedOnce() {
        let transport = ScriptedTransport([])
        let worker = WorkerContext(settings: settings, clock: .fixed(1_795_000_100), http: transport)
        let p = WebhookProcessor(settings: settings)
        _ = p.run(action(id: 1, alert: ["id": "a1", "event": ["ip": "10.0.0.1"]]), worker: worker)
        _ = p.run(action(id: 2, alert: ["id": "a2", "event": ["ip": "10.0.0.2"]]), worker: worker)
        XCTAssertEqual(transport.requests.map(\.url), ["http://h/a1", "http://h/a2"])
        XCTAssertEqual(transport.requests.map { String(decoding: $0.body, as: UTF8.self) }, ["10.0.0.1", "10.0.0.2"])
        XCTAssertEqual(worker.configs.misses, 1, "one parse for both actions")
    }

    func testAConfigChangedUnderTheSameId_isUsedAsChanged() {
        let transport = ScriptedTransport([])
        let worker = WorkerContext(settings: settings, clock: .fixed(1_795_000_100), http: transport)
        let p = WebhookProcessor(settings: settings)
        let alert: JSONValue = ["id": "a1", "event": ["ip": "10.0.0.1"]]
        _ = p.run(action(id: 1, url: "http://old/{{ alert.id }}", alert: alert), worker: worker)
        _ = p.run(action(id: 2, url: "http://new/{{ alert.id }}", alert: alert), worker: worker)
        // A broken version of the same config fails, and the good one still works after it.
        let broken = p.run(action(id: 3, url: "ftp://nope", alert: alert), worker: worker)
        _ = p.run(action(id: 4, url: "http://new/{{ alert.id }}", alert: alert), worker: worker)
        XCTAssertEqual(transport.requests.map(\.url), ["http://old/a1", "http://new/a1", "http://new/a1"])
        XCTAssertTrue(broken.outcome.message.contains("webhook config invalid"), broken.outcome.message)
    }

    func testTextsTheDigestCannotTellApart_areStillDifferentEntries() {
        // Texts of one length that differ in a single byte, anywhere (the digest reads eight
        // bytes at a time, then the tail).
        let base = String(repeating: "{\"a\":1}", count: 9) + "xyz"
        var texts: Set<String> = []
        for i in base.utf8.indices {
            var bytes = Array(base.utf8)
            bytes[base.utf8.distance(from: base.utf8.startIndex, to: i)] ^= 0x01
            texts.insert(String(decoding: bytes, as: UTF8.self))
        }
        let digests = Set(texts.map { ConfigCache.Key.digest($0) })
        XCTAssertEqual(digests.count, texts.count, "no two of these collide")
        // Equality compares the text, not the digest.
        let a = ConfigCache.Key(kind: "webhook", text: base), b = ConfigCache.Key(kind: "webhook", text: String(decoding: Array(base.utf8), as: UTF8.self))
        XCTAssertEqual(a, b, "the same text from another string is the same key")
        XCTAssertNotEqual(a, ConfigCache.Key(kind: "other", text: base), "the kind is part of the key")
        let cache = ConfigCache()
        var built = 0
        for text in texts.sorted() + texts.sorted() {
            _ = cache.value(text, kind: "k") { _ in built += 1; return text }
        }
        XCTAssertEqual(built, texts.count, "each text built once, none mistaken for another")
        for text in texts {
            XCTAssertEqual(try cache.value(text, kind: "k") { _ in "rebuilt" }.get(), text)
        }
    }

    /// The one-entry memo in front of the tables answers only for the same text and kind:
    /// alternating texts, texts of one length a byte apart, the same text under another kind,
    /// and an equal text in another String each get their own answer.
    func testTheLastLookUp_answersOnlyForItsOwnTextAndKind() {
        let pad = String(repeating: "x", count: 40)
        let a = "{\"a\":1,\"pad\":\"\(pad)\"}", b = "{\"a\":2,\"pad\":\"\(pad)\"}"
        XCTAssertEqual(a.utf8.count, b.utf8.count)
        let cache = ConfigCache()
        var builds: [String] = []
        func build(_ text: String, _ kind: String) -> String {
            (try? cache.value(text, kind: kind) { _ in builds.append(kind + ":" + text); return kind + ":" + text }.get()) ?? "failed"
        }
        for text in [a, a, b, a, b, b] { XCTAssertEqual(build(text, "k"), "k:" + text) }
        XCTAssertEqual(build(a, "other"), "other:" + a, "another kind is another entry")
        XCTAssertEqual(build(String(decoding: Array(a.utf8), as: UTF8.self), "k"), "k:" + a, "an equal text in another String")
        XCTAssertEqual(builds, ["k:" + a, "k:" + b, "other:" + a], "each (kind, text) built once")
        // The same for the parsed JSON.
        XCTAssertEqual(cache.json(a)["a"], .int(1))
        XCTAssertEqual(cache.json(b)["a"], .int(2))
        XCTAssertEqual(cache.json(a)["a"], .int(1))
        // A value built as one type is not handed out as another under the same text and kind.
        XCTAssertEqual(try cache.value(a, kind: "k") { _ in 42 }.get(), 42)
        XCTAssertEqual(build(a, "k"), "k:" + a)
    }

    func testTheCacheStartsOverWhenFull() {
        let cache = ConfigCache()
        for i in 0..<ConfigCache.capacity { _ = cache.json(#"{"id":\#(i)}"#) }
        _ = cache.json(#"{"id":3}"#)
        XCTAssertEqual(cache.misses, ConfigCache.capacity, "a text held is not parsed again")
        _ = cache.json(#"{"id":"one too many"}"#)
        XCTAssertEqual(cache.json(#"{"id":3}"#)["id"], 3, "evicted entries are parsed again, not lost")
        XCTAssertEqual(cache.misses, ConfigCache.capacity + 2, "the full cache started over")
        XCTAssertEqual(cache.json("not json"), .emptyObject)
    }

    /// Every path a template can name gives the same value through the lazy context as through
    /// the whole context.
    func testTheLazyContext_givesWhatTheWholeContextGives() throws {
        var a = action(id: 9, alert: ["event": ["ip": "10.1.1.1", "tags": ["x", "y"]], "severity": 2])
        a.text.inputs = #"{"notice_way":"sms","n":3}"#
        a.text.dimensions = #"[{"key":"ip","value":"10.1.1.1"}]"#
        a.text.assignee = #"["ops"]"#
        a.text.strategy = #"{"id":5,"name":"cpu","items":[{"name":"load"}]}"#
        a.strategyId = 5
        a.bkBizId = "2"
        let whole = ActionContext.build(a)
        let lazy = ActionContext.context(a, configs: ConfigCache())
        let paths = [
            "action.id", "action.es_id", "action.signal", "action.strategy_id", "action.bk_biz_id", "action.alerts.0", "action.alerts.1",
            "action.alert_level", "action.execute_times", "action.create_time", "action.name", "action.plugin_type", "action.generate_uuid",
            "action.inputs.notice_way", "action.inputs.n", "action.dimensions.0.value", "action.assignee.0", "action.missing",
            "alert.id", "alert.event.ip", "alert.event.tags.1", "alert.event.tags.9", "alert.severity", "alert.nothing.deeper",
            "strategy.id", "strategy.items.0.name", "strategy.items.-1", "unknown.x", "action", "alert",
        ]
        for path in paths {
            let keys = path.split(separator: ".").map(String.init)
            XCTAssertEqual(lazy.value(at: keys), TemplateRenderer.Context.walk(whole, keys[...]), path)
        }
        XCTAssertEqual(lazy.value(at: ["alert", "id"]), "first", "alert.id defaults to the first alert id")
        let renderer = TemplateRenderer()
        for template in ["{{ alert.event.ip }}/{{ action.id }}", "{{ alert.event.tags|join:\",\" }}", "{% for t in alert.event.tags %}{{ t }}{% endfor %}"] {
            XCTAssertEqual(try renderer.render(template, field: "t", context: ActionContext.context(a, configs: nil)),
                           try renderer.render(template, field: "t", context: TemplateRenderer.Context(whole)), template)
        }
    }
}

/// The notice variables over the lazy context: every path gives what the whole context gives.
final class NoticeContextTests: XCTestCase {
    /// Every path of `value` (object members and array indexes), with a member that is not there
    /// below each object.
    func paths(_ value: JSONValue, _ prefix: [String] = []) -> [[String]] {
        var out = [prefix, prefix + ["absent"]]
        switch value {
        case .object(let o): for (k, v) in o { out += paths(v, prefix + [k]) }
        case .array(let a): for (i, v) in a.enumerated() { out += paths(v, prefix + [String(i)]) }
        default: break
        }
        return out
    }

    func testTheLazyNoticeContext_givesWhatTheWholeOneGives_forEveryPath() throws {
        let inputs = [
            #"{"notice_way":"sms","notice_receiver":"u1","time_range":"00:00:00--23:59:59"}"#,
            #"{"notice_way":"mail","source_action":{"name":"restart","id":"42","status":"failure","message":"exit 1"}}"#,
            #"{"digest":{"titles":["a","b"],"count":5,"window_end":1795000300},"notice_way":"sms"}"#,
            // An escaped key reads as "source_action": the byte search alone would miss it.
            #"{"source\u005faction":{"name":"escaped"}}"#,
            #"{"note":"é","digest":{"titles":["x"]}}"#,
            #"[{"source_action":1},2]"#, "not json", "{}",
        ]
        let alerts: [JSONValue] = [
            ["id": "a1", "alert_name": "CPU high", "begin_time": 1_795_000_000, "latest_time": 1_795_000_060, "event": ["bk_biz_id": 2],
             "dimensions": [["key": "ip", "value": "10.0.0.1"], ["display_key": "host", "display_value": "web-1", "key": "h"]]],
            ["severity": 1, "dimensions": "not a list", "event": "not an object"],
        ]
        for text in inputs {
            for alert in alerts {
                for language in [NoticeTemplates.Language.en, .zh] {
                    var a = ClaimedAction(id: 3, leaseToken: 1, createTime: 1_795_000_000)
                    a.text.inputs = text
                    a.text.alert = alert.jsonText
                    a.text.alerts = #"["first"]"#
                    a.text.strategy = #"{"id":5,"name":"cpu strategy"}"#
                    a.bkBizId = "7"
                    let whole = NoticeContext.build(base: ActionContext.build(a), signal: "abnormal", level: 2, language: language)
                    let lazy = NoticeRendering.context(base: ActionContext.context(a, configs: nil), signal: "abnormal", level: 2, language: language)
                    for keys in paths(whole) + [["action", "inputs", "source_action", "name"], ["action", "inputs", "digest"], ["action", "inputs", "0"]] {
                        XCTAssertEqual(lazy.value(at: keys), TemplateRenderer.Context.walk(whole, keys[...]), "\(text) \(alert) \(keys)")
                    }
                    XCTAssertEqual(lazy.json, whole, text)
                }
            }
        }
        // What the paths above must have covered: the notice fields that read the inputs.
        var a = ClaimedAction(id: 3, leaseToken: 1, createTime: 1_795_000_000)
        a.text.inputs = inputs[3]
        let escaped = NoticeRendering.context(base: ActionContext.context(a, configs: nil), signal: "execute", level: 2, language: .en)
        XCTAssertEqual(escaped.value(at: ["notice", "action_name"]), "escaped")
        a.text.inputs = inputs[2]
        let digest = NoticeRendering.context(base: ActionContext.context(a, configs: nil), signal: "collect", level: 2, language: .en)
        XCTAssertEqual(digest.value(at: ["notice", "digest_count"]), "5")
        XCTAssertEqual(digest.value(at: ["notice", "digest_titles_inline"]), "a; b; … and 3 more")
    }
}

/// Retry jitter's generator: values in 0..<1, spread over the range, different per seed.
final class FastRandomTests: XCTestCase {
    func testUnitValues_areInRange_spread_andDependOnTheSeed() {
        let g = FastRandom(seed: 1)
        var buckets = [Int](repeating: 0, count: 10)
        for _ in 0..<10_000 {
            let x = g.unit()
            XCTAssertTrue((0..<1).contains(x))
            buckets[Int(x * 10)] += 1
        }
        XCTAssertTrue(buckets.allSatisfy { (850...1150).contains($0) }, "\(buckets)")
        XCTAssertNotEqual(FastRandom(seed: 1).next(), FastRandom(seed: 2).next())
        XCTAssertEqual(FastRandom(seed: 7).next(), FastRandom(seed: 7).next())
    }
}

/// A row update's JSON columns, encoded ahead on the worker that resolved it.
final class EncodedTextsTests: XCTestCase {
    func testTextsEncodedAhead_matchTheValues_andAChangeAfterwardsIsWritten() throws {
        var update = ActionUpdate(id: 1, leaseToken: 2, status: .success, exData: ["message": "sent"], outputs: ["n": 1],
                                  nextStep: "end", executeTimes: 1, log: [], kind: .succeeded)
        update.encodeTexts()
        XCTAssertEqual(try JSONParser.parse(update.exDataText), ["message": "sent"])
        XCTAssertEqual(try JSONParser.parse(update.outputsText), ["n": 1])
        // Changed after encoding (a pass adds to outputs, a resolver rewrites ex_data): the
        // text written is the new value's, never the stale one.
        update.outputs = ["n": 1, "execute_notify_result": ["ok": true]]
        XCTAssertEqual(try JSONParser.parse(update.outputsText), ["n": 1, "execute_notify_result": ["ok": true]])
        update.encodeTexts()
        update.exData = ["message": "failed"]
        XCTAssertEqual(try JSONParser.parse(update.exDataText), ["message": "failed"])
        XCTAssertEqual(try JSONParser.parse(update.outputsText), ["n": 1, "execute_notify_result": ["ok": true]])
    }
}
