import Foundation
@testable import FTAActions
@testable import FTAConfig
@testable import FTACore
@testable import FTAPasses
@testable import FTAStore
@testable import FTATemplates
import FTATestSupport
@testable import FTATransport
import XCTest

/// A fixed-seed random source (SplitMix64), so a failure is the same on every run.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random bytes and random structures through the JSON line readers (enqueue and ingest) and
/// the template renderer: thousands of inputs, no crash (a trap would end the test process),
/// and every refusal says where: a JSON offset or a field. Accepted input is carried on through
/// what a pass does with it (context, request building, outcome arithmetic).
final class FuzzTests: XCTestCase {
    var rng = SeededRandom(seed: 0xF7A_2026)

    // MARK: Values

    func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    let extremeInts: [Int64] = [0, 1, -1, 59, 60, 7200, 7201, 86_400, 1_795_000_000, 253_402_300_799, 253_402_300_800,
                                Int64.max, Int64.min, Int64.max - 1, 1 << 40, -(1 << 40), 2_147_483_648]
    let nastyStrings = ["", "x", "abnormal", "webhook", "notice", "script", "\r\nX-Injected: yes", "\u{0}", "\u{1b}[31m", "{{ alert.id }}",
                        "{% for i in 1...1000000000 %}x{% endfor %}", "http://127.0.0.1:1/x", "https://h/{{ alert.e }}", "9223372036854775807",
                        "-5", "2.5", "1e308", "告警", "\u{FFFF}", "{{", "%}", "${HOME}", "$${X}", "/bin/sh", "LD_PRELOAD", "../../etc/passwd"]

    func randomScalar() -> JSONValue {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return .int(pick(extremeInts))
        case 1: return .int(Int64.random(in: -100_000...100_000, using: &rng))
        case 2: return .double(pick([0.5, -0.5, 1e300, -1e300, 3.0, 60.0, 1e-9]))
        case 3: return .bool(chance(0.5))
        case 4: return .null
        default: return .string(pick(nastyStrings))
        }
    }

    func randomValue(depth: Int = 0, keys: [String] = []) -> JSONValue {
        if depth > 3 || chance(0.5) { return randomScalar() }
        if chance(0.4) { return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(depth: depth + 1, keys: keys) }) }
        var o: [String: JSONValue] = [:]
        for _ in 0..<Int.random(in: 0...5, using: &rng) {
            o[keys.isEmpty || chance(0.2) ? pick(nastyStrings) : pick(keys)] = randomValue(depth: depth + 1, keys: keys)
        }
        return .object(o)
    }

    static let configKeys = ["id", "name", "execute_config", "template_detail", "template_id", "timeout", "failed_retry", "method", "url", "headers",
                             "query_params", "body", "authorize", "auth_type", "auth_config", "token", "username", "password", "max_retry_times",
                             "retry_interval", "is_enabled", "notify_interval", "interval_notify_mode", "need_poll", "template", "signal",
                             "title_tmpl", "message_tmpl", "command", "env", "cwd", "max_output", "data_type", "content", "content_type",
                             "params", "key", "value", "tls_verify", "voice_notice"]

    /// An enqueue line: half of them valid webhooks whose free values are random (so what a
    /// pass does with them runs), the rest with random values in random places.
    func randomActionLine() -> JSONValue {
        if chance(0.5) {
            var detail: [String: JSONValue] = ["method": "POST", "url": .string(pick(["http://127.0.0.1:1/x", "http://h/{{ alert.e }}", "http://h/x?a={{ alert.id }}"]))]
            if chance(0.5) { detail["headers"] = ["X-A": .string(pick(["{{ alert.e }}", "1", "{{ alert.id }}"]))] }
            if chance(0.5) { detail["query_params"] = ["q": .string(pick(nastyStrings).replacingOccurrences(of: "{%", with: ""))] }
            if chance(0.5) {
                detail["failed_retry"] = ["max_retry_times": .int(Int64.random(in: -1...1000, using: &rng)),
                                          "retry_interval": .double(Double.random(in: 0...86_400, using: &rng)), "timeout": .int(Int64.random(in: 1...600, using: &rng))]
            }
            if chance(0.3) { detail["notify_interval"] = .int(Int64.random(in: 0...31_536_000, using: &rng)); detail["interval_notify_mode"] = .string(pick(["standard", "increasing"])) }
            if chance(0.3) { detail["body"] = ["data_type": "raw", "content_type": "json", "content": .string(pick(["{\"a\": \"{{ alert.e }}\"}", "{{ alert.items|length }}"]))] }
            var o: [String: JSONValue] = ["signal": "abnormal", "action_plugin": ["plugin_type": "webhook"],
                                          "action_config": ["id": 1, "execute_config": ["template_detail": .object(detail)]],
                                          "alert": ["id": .string(pick(nastyStrings)), "e": .string(pick(nastyStrings)), "items": .array((0..<Int.random(in: 0...5, using: &rng)).map { _ in randomScalar() })]]
            if chance(0.5) { o["due_at"] = .int(Int64.random(in: InputLimits.time, using: &rng)) }
            if chance(0.5) { o["execute_times"] = .int(Int64.random(in: InputLimits.rounds, using: &rng)) }
            if chance(0.5) { o["bk_biz_id"] = .int(Int64.random(in: -10_000...10_000, using: &rng)) }
            return .object(o)
        }
        var o: [String: JSONValue] = [:]
        o["signal"] = chance(0.8) ? .string(pick(["abnormal", "recovered", "manual", "closed"])) : randomScalar()
        o["action_plugin"] = chance(0.9) ? ["plugin_type": .string(pick(["webhook", "notice", "script", "job", "message_queue", "collect"]))] : randomValue()
        var detail: [String: JSONValue] = ["url": .string(pick(["http://127.0.0.1:1/x", "https://h/{{ alert.e }}", "{{ alert.e }}"])), "method": "POST"]
        for _ in 0..<Int.random(in: 0...4, using: &rng) { detail[pick(Self.configKeys)] = randomValue(keys: Self.configKeys) }
        var execute: [String: JSONValue] = ["template_detail": .object(detail)]
        if chance(0.3) { execute[pick(["timeout", "failed_retry", "template_id"])] = randomValue(keys: Self.configKeys) }
        o["action_config"] = chance(0.9) ? ["id": randomScalar(), "execute_config": .object(execute)] : randomValue()
        for key in ActionDraftParser.knownFields.shuffled(using: &rng).prefix(Int.random(in: 0...6, using: &rng)) where o[key] == nil {
            o[key] = randomValue(keys: ["id", "e", "items", "begin_time", "severity"])
        }
        if chance(0.1) { o[pick(nastyStrings)] = randomScalar() }
        return .object(o)
    }

    /// An ingest line: an alert with a strategy and relations, values drawn as above.
    func randomEventLine() -> JSONValue {
        var alert: [String: JSONValue] = ["id": chance(0.9) ? .string("a\(Int.random(in: 0...9, using: &rng))") : randomScalar(),
                                          "status": "ABNORMAL", "begin_time": .int(Int64.random(in: InputLimits.time, using: &rng))]
        for key in ["severity", "status", "begin_time", "latest_time", "strategy_id", "is_shielded", "dimensions", "event"] where chance(0.15) {
            alert[key] = key == "event" ? ["bk_biz_id": randomScalar()] : randomScalar()
        }
        var relation: [String: JSONValue] = ["id": randomScalar(), "config_id": chance(0.8) ? .int(Int64.random(in: 0...3, using: &rng)) : randomScalar(),
                                             "signal": ["abnormal", "recovered"], "user_groups": ["ops"]]
        if chance(0.3) { relation["options"] = randomValue(keys: ["skip_delay", "converge_config", "timedelta", "count", "exclude_notice_ways", "time_range"]) }
        var o: [String: JSONValue] = ["signal": chance(0.9) ? "abnormal" : randomScalar(), "alert": .object(alert),
                                      "strategy": ["id": randomScalar(), "notice": .object(relation)]]
        if chance(0.2) {
            o["action_configs"] = [["id": .int(Int64.random(in: 0...3, using: &rng)), "plugin_type": .string(pick(["notice", "webhook"])),
                                    "execute_config": ["template_detail": randomValue(keys: Self.configKeys)]]]
        }
        if chance(0.3) { o[pick(["execute_times", "notice_type", "dedupe_key", "is_unshielded"])] = randomScalar() }
        return .object(o)
    }

    /// Random bytes, or a valid line with bytes changed, inserted or removed.
    func mangled(_ line: String) -> [UInt8] {
        if chance(0.3) { return (0..<Int.random(in: 0...120, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        var b = Array(line.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &rng) where !b.isEmpty {
            let i = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: b[i] = UInt8.random(in: 0...255, using: &rng)
            case 1: b.insert(pick(Array("{}[]\",:\\0".utf8) + [0x00, 0xC3, 0xFF]), at: i)
            default: b.remove(at: i)
            }
        }
        return b
    }

    // MARK: Tests

    func testEnqueueLines_randomAndMangled_neverCrash_andEveryRefusalNamesAFieldOrAnOffset() throws {
        var config = FTAConfig()
        config.tick.allowedScripts = ["/bin/"]
        let registry = ProcessorRegistry.standard(config: config)
        let parser = ActionDraftParser(validator: registry.validate)
        let webhook = WebhookProcessor(settings: config.tick)
        let renderer = TemplateRenderer()
        var accepted = 0, refused = 0
        for i in 0..<6_000 {
            let line = randomActionLine().jsonText
            let bytes = i % 3 == 0 ? mangled(line) : Array(line.utf8)
            do {
                let draft = try bytes.withUnsafeBufferPointer { try parser.parse(bytes: $0) }
                accepted += 1
                // What a pass does with the stored row; none of it may trap.
                var a = ClaimedAction(id: Int64(i + 1), leaseToken: 1, signal: draft.signal, createTime: 1_795_000_000, pluginType: draft.pluginType)
                a.text.actionConfig = draft.actionConfig
                a.text.alert = draft.alert
                a.text.alerts = draft.alerts
                a.text.inputs = draft.inputs
                a.executeTimes = draft.executeTimes
                a.deadlineAt = InputLimits.add(draft.dueAt ?? 0, draft.timeout)
                _ = ActionContext.build(a)
                if draft.pluginType == "webhook", let c = try? WebhookConfig.parse(WebhookProcessor.detail(of: a.json(\.actionConfig)).detail ?? .null,
                                                                                      failedRetryFallback: nil, defaultTimeout: 10) {
                    if let request = try? webhook.buildRequest(c, action: a, renderer: renderer, now: draft.dueAt ?? 1_795_000_000) {
                        XCTAssertNil(HTTPClient.problem(request), "a request that was built is safe to send: \(request.url)")
                    }
                    let policy = RetryPolicy(maxRetryTimes: c.maxRetryTimes, retryInterval: c.retryInterval, retryAfterCap: 600, jitter: 0.5)
                    for outcome in [ActionOutcome.failure("x", retryAfter: pick([nil, 1e300, -5, .infinity, .nan])), .success("ok"),
                                    ActionOutcome(.next(step: "poll", after: pick([0, 1e300, -1, .nan])), message: "n")] {
                        let u = OutcomeResolver.resolve(action: a, outcome: outcome, policy: policy, now: pick([0, 1_795_000_000, InputLimits.time.upperBound]), random: 0.7)
                        if let due = u.dueAt { XCTAssertTrue(due.isFinite && InputLimits.isTime(Int64(due)), "due \(due)") }
                    }
                }
                _ = IntervalRule.interval(templateDetail: a.json(\.actionConfig)["execute_config"]?["template_detail"], rounds: draft.executeTimes + 1)
            } catch let e as FieldError {
                refused += 1
                XCTAssertFalse(e.field.isEmpty && e.message.isEmpty, "an error says what: \(e)")
            } catch let e as JSONParseError {
                refused += 1
                XCTAssertTrue(e.offset >= 0 && e.offset <= bytes.count, "the offset is in the line: \(e)")
            } catch {
                XCTFail("unexpected error type \(type(of: error)): \(error)")
            }
        }
        XCTAssertGreaterThan(accepted, 2_000, "the generator reaches the code behind the parser")
        XCTAssertGreaterThan(refused, 1_000)
    }

    func testEnqueueRun_reportsEachRefusedLineByNumber_andStoresTheRest() throws {
        let dir = try TemporaryDirectory()
        var lines: [[UInt8]] = []
        for i in 0..<3_000 { lines.append(i % 2 == 0 ? mangled(randomActionLine().jsonText) : Array(Actions.webhook(url: "http://h/x", alertId: "a\(i)").jsonText.utf8)) }
        // Newlines inside random bytes would split lines: keep one line per entry.
        lines = lines.map { $0.map { $0 == 0x0A ? 0x20 : $0 } }
        let path = dir.file("fuzz.jsonl")
        try Data(lines.joined(separator: [0x0A])).write(to: URL(fileURLWithPath: path))
        let store = try SQLiteStore(path: dir.file("fuzz.db"))
        let run = EnqueueRun(store: store, registry: .standard(), clock: .fixed(1_795_000_000))
        let report = try run.run(try LineReader(path: path))
        let numbers = report.rejected.map(\.line) + report.stored.map(\.line) + report.duplicates.map(\.line)
        XCTAssertEqual(Set(numbers).count, numbers.count, "each line is reported once")
        XCTAssertTrue(numbers.allSatisfy { (1...3_000).contains($0) })
        XCTAssertGreaterThanOrEqual(report.stored.count, 1_500, "every valid line was stored")
        XCTAssertTrue(report.rejected.allSatisfy { !$0.reason.isEmpty })
    }

    func testIngestEvents_randomAndMangled_neverCrash_andRefusalsNameAField() throws {
        var stage = CreationStage(configs: [
            1: ["id": 1, "plugin_type": "notice", "execute_config": ["template_detail": ["notify_interval": 60, "interval_notify_mode": "increasing"]]],
            2: ["id": 2, "plugin_type": "notice", "execute_config": ["template_detail": ["notify_interval": 31_536_000]]],
            3: ["id": 3, "plugin_type": "notice"],
        ])
        stage.directory = try FTAConfig.parse("users: {alice: {email: a@example.com}}\nuser_groups: {ops: {users: [alice]}}\n", source: "t").directory
        stage.validate = { type, config in try ProcessorRegistry.standard().validate(pluginType: type, actionConfig: config) }
        var planned = 0
        for i in 0..<4_000 {
            let text = randomEventLine().jsonText
            let bytes = i % 4 == 0 ? mangled(text) : Array(text.utf8)
            do {
                let value = try bytes.withUnsafeBufferPointer { try JSONParser.parse(bytes: $0) }
                let event = try AlertEvent.parse(value)
                _ = AlertEvent.unknownFields(value)
                let plan = try stage.plan(event, now: pick([0, 1_795_000_000, InputLimits.time.upperBound]))
                planned += 1
                for f in plan.families { XCTAssertTrue(f.repeatAfter.map { $0 > 0 && $0 <= InputLimits.maxDelay } ?? true) }
            } catch let e as FieldError {
                XCTAssertFalse(e.description.isEmpty)
            } catch let e as JSONParseError {
                XCTAssertTrue(e.offset >= 0 && e.offset <= bytes.count, "\(e)")
            } catch {
                XCTFail("unexpected error type \(type(of: error)): \(error)")
            }
        }
        XCTAssertGreaterThan(planned, 300, "the generator reaches the creation stage")
    }

    func testTemplates_randomAndHostile_neverCrash_andFailuresNameTheTemplate() throws {
        let renderer = TemplateRenderer()
        let pieces = ["{{ alert.id }}", "{{ alert.items|length }}", "{{ alert.missing.deeper }}", "{% for x in alert.items %}", "{% endfor %}",
                      "{% for i in 1...5 %}", "{% for i in 1...900000 %}", "{% if alert.id %}", "{% else %}", "{% endif %}", "{{ x|indent:3 }}",
                      "{{ alert.id|indent:100000 }}", "{{ alert.id|upper|tojson }}", "{{ alert.id|escape }}", "{% break %}", "{{", "}}", "{%", "%}",
                      "text ", "告警 ", "\u{0}", "{{ forloop.counter }}", "{{ loop.index }}", "{% for a, b in alert.pairs %}{{ a }}{% endfor %}",
                      "{{ alert.items|join:\",\" }}", "{% filter upper %}", "{% endfilter %}", "{{ 1...3 }}", "{# c #}", "{{ alert.e }}"]
        let items = JSONValue.array((0..<60).map { .int(Int64($0)) })
        let context = TemplateRenderer.Context(["alert": ["id": "a-1", "items": items, "e": "v\r\nX", "pairs": ["k": "v"]]])
        var rendered = 0
        for _ in 0..<3_000 {
            let source = (0..<Int.random(in: 1...7, using: &rng)).map { _ in pick(pieces) }.joined()
            do {
                let out = try renderer.render(source, field: "fuzz.template", context: context)
                XCTAssertLessThanOrEqual(out.utf8.count, RenderBudget.maxOutputBytes)
                rendered += 1
            } catch let e as TemplateError {
                XCTAssertEqual(e.field, "fuzz.template")
            } catch {
                XCTFail("unexpected error type \(type(of: error)): \(error)")
            }
        }
        XCTAssertGreaterThan(rendered, 300)
        // Nested loops that would run for minutes stop at the budget.
        let bomb = "{% for a in alert.items %}{% for b in alert.items %}{% for c in alert.items %}{% for d in alert.items %}x{% endfor %}{% endfor %}{% endfor %}{% endfor %}"
        XCTAssertThrowsError(try renderer.render(bomb, field: "bomb", context: context)) { e in
            // The iteration budget, or the time budget on a loaded machine (debug builds are slow).
            XCTAssertTrue("\(e)".contains("more than 100000 loop iterations") || "\(e)".contains("longer than 2 s"), "\(e)")
        }
    }
}
