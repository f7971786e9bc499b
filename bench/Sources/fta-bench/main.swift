import Foundation
import FTAActions
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import FTAPostgres
import FTAStore
import FTATransport
import Logging

// Benchmark helper for `make bench` (not installed):
//   fta-bench gen N URL            N webhook enqueue lines on stdout
//   fta-bench ceiling URL N        sequential POSTs over one reused libcurl handle: req/s
//   fta-bench claim-record N DB    enqueue N, then one pass with a processor that does no I/O:
//                                  the claim + record cost per action (DB: a SQLite file or a
//                                  postgres:// URI; N = 0 runs the pass only, on rows already there)
//   fta-bench cycles N DB C [P]    C cycles of: insert N, claim them 1,000 at a time and record
//                                  each batch, then wait P seconds (default 0: autovacuum gets no
//                                  turn); prints each cycle's claim latency p50/p90

struct NullWebhook: ActionProcessor {
    let pluginType = PluginType.webhook
    func validate(actionConfig: JSONValue) throws {}
    func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult {
        StepResult(outcome: .success("ok"))
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
}

func line(_ i: Int, url: String) -> String {
    let v: JSONValue = [
        "signal": "abnormal", "strategy_id": .int(Int64(1000 + i % 50)), "bk_biz_id": "2", "alerts": [.string("alert-\(i)")],
        "alert": ["id": .string("alert-\(i)"), "severity": 2],
        "action_plugin": ["plugin_type": "webhook", "plugin_key": "webhook"],
        "action_config": ["id": 5, "name": "bench hook", "execute_config": [
            "timeout": 600,
            "template_detail": [
                "method": "POST", "url": .string(url),
                "headers": [["key": "X-Alert", "value": "{{ alert.id }}"]],
                "body": ["data_type": "raw", "content_type": "json", "content": "{\"alert\": \"{{ alert.id }}\", \"action\": \"{{ action.id }}\", \"level\": \"{{ action.alert_level }}\"}"],
                "failed_retry": ["is_enabled": true, "timeout": 10, "max_retry_times": 2, "retry_interval": 60],
            ],
        ]],
        "dedupe_key": .string("bench-\(i)"),
    ]
    return v.jsonText
}

/// Bench rows `range` as drafts (no dedupe key: every line is new).
func drafts(_ range: Range<Int>) throws -> [ActionDraft] {
    let parser = ActionDraftParser(validator: { _, _ in })
    return try range.map { i in
        var d = try parser.parse(line(i, url: "http://127.0.0.1:1/"))
        d.dedupeKey = nil
        return d
    }
}

func openStore(_ location: String) throws -> any FTAStore {
    PostgresStore.handles(location) ? try PostgresStore(url: location, serverClock: false) : try SQLiteStore(path: location)
}

let args = CommandLine.arguments
guard args.count >= 3 else {
    fputs("usage: fta-bench gen N URL | ceiling URL N | claim-record N DB\n", stderr)
    exit(2)
}
switch args[1] {
case "gen":
    let n = Int(args[2]) ?? 0
    var out = ""
    out.reserveCapacity(1 << 20)
    for i in 0..<n {
        out += line(i, url: args[3])
        out += "\n"
        if out.utf8.count > 1 << 20 { FileHandle.standardOutput.write(Data(out.utf8)); out = "" }
    }
    FileHandle.standardOutput.write(Data(out.utf8))
case "gen-min":
    // The smallest useful webhook action: the size sensitivity figure beside the full line.
    let n = Int(args[2]) ?? 0
    var out = ""
    for i in 0..<n {
        let v: JSONValue = [
            "signal": "abnormal", "alerts": [.string("alert-\(i)")],
            "action_plugin": ["plugin_type": "webhook"],
            "action_config": ["id": 5, "execute_config": ["template_detail": ["method": "POST", "url": .string(args[3])]]],
        ]
        out += v.jsonText + "\n"
        if out.utf8.count > 1 << 20 { FileHandle.standardOutput.write(Data(out.utf8)); out = "" }
    }
    FileHandle.standardOutput.write(Data(out.utf8))
case "ceiling":
    let n = Int(args[3]) ?? 10000
    guard let client = HTTPClient() else { fputs("no libcurl handle\n", stderr); exit(3) }
    let body = Array("{\"alert\":\"a\"}".utf8)
    var ok = 0
    let s = seconds {
        for _ in 0..<n {
            if case .success(let r) = client.perform(HTTPRequest(method: "POST", url: args[2], headers: [("Content-Type", "application/json")], body: body, timeout: 10)),
               r.status == 200 { ok += 1 }
        }
    }
    print(String(format: "ceiling: %d sequential POSTs (%d ok) over one reused handle in %.3f s = %.0f req/s", n, ok, s, Double(n) / s))
case "es-ceiling":
    // The Elasticsearch fixture's own ceiling: the NDJSON fta-sync would send (from
    // `fta-sync --dry-run`), posted in bulk requests of 500 documents, one after the other.
    let url = args[2]
    guard let data = FileManager.default.contents(atPath: args[3]), let client = HTTPClient(maxResponseBytes: 1 << 28) else { exit(3) }
    let lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)
    var bodies: [[UInt8]] = []
    var i = 0
    while i < lines.count {
        var body: [UInt8] = []
        for l in lines[i..<min(i + 1000, lines.count)] { body += l; body.append(0x0A) }
        bodies.append(body)
        i += 1000
    }
    var ok = 0
    let s = seconds {
        for b in bodies {
            if case .success(let r) = client.perform(HTTPRequest(method: "POST", url: url + "/_bulk", headers: [("Content-Type", "application/x-ndjson")], body: b, timeout: 60)),
               r.status == 200 { ok += 1 }
        }
    }
    print(String(format: "fixture ceiling: %d documents in %d bulk requests (%d ok), sequential, in %.3f s = %.0f docs/s", lines.count / 2, bodies.count, ok, s, Double(lines.count / 2) / s))
case "claim-record":
    let n = Int(args[2]) ?? 10000
    LoggingSystem.bootstrap { FTALogHandler(label: $0, format: .text, level: .warning) }
    let store = try openStore(args[3])
    let clock = Clock.fixed(1_795_000_000)
    if n > 0 {
        var i = 0
        while i < n {
            _ = try store.insert(try drafts(i..<min(n, i + 10_000)), now: clock.now())
            i += 10_000
        }
    }
    var options = TickOptions(settings: TickSettings())
    options.batch = 1000
    options.concurrency = 4
    let pass = TickPass(store: store, registry: ProcessorRegistry([NullWebhook()]), options: options, settings: TickSettings(),
                        clock: clock, logger: Logger(label: "bench"))
    var report = PassReport()
    let s = try seconds { report = try pass.run() }
    let done = report.total.claimed
    print(String(format: "claim+record without network: %d actions in %.3f s = %.1f us/action (%.0f actions/s), succeeded %d",
                 done, s, s * 1e6 / Double(max(1, done)), Double(done) / s, report.total.succeeded))
case "cycles":
    let n = Int(args[2]) ?? 100_000
    let cycles = args.count > 4 ? Int(args[4]) ?? 5 : 5
    let pause = args.count > 5 ? UInt32(args[5]) ?? 0 : 0
    let store = try openStore(args[3])
    for c in 1...cycles {
        let now = Int64(1_795_000_000 + c * 10)
        var i = 0
        while i < n {
            _ = try store.insert(try drafts(i..<min(n, i + 10_000)), now: now)
            i += 10_000
        }
        var claims: [Double] = []
        var total = 0
        while true {
            var claimed: [ClaimedAction] = []
            claims.append(try seconds { claimed = try store.claimDue(limit: 1000, now: Double(now), lease: 120, owner: "bench") })
            if claimed.isEmpty { break }
            total += claimed.count
            let updates = claimed.map { OutcomeResolver.resolve(action: $0, outcome: .success("ok"), policy: .none, now: now, random: 0) }
            _ = try store.record(updates, now: now)
        }
        let sorted = claims.sorted()
        var size = ""
        if PostgresStore.handles(args[3]) {
            let c = try PGConnection(conninfo: args[3])
            let bytes = try c.execute("SELECT pg_total_relation_size('action_instance'), pg_relation_size('action_instance'), (SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'action_instance'), (SELECT autovacuum_count FROM pg_stat_user_tables WHERE relname = 'action_instance')")
            size = String(format: "; action_instance %.0f MB with indexes (%.0f MB heap), %d dead rows, %d autovacuums so far",
                          Double(bytes.int(0, 0) ?? 0) / 1e6, Double(bytes.int(0, 1) ?? 0) / 1e6, bytes.int(0, 2) ?? 0, bytes.int(0, 3) ?? 0)
        }
        print(String(format: "cycle %d: %d claimed in %d batches of 1000; claim p50 %.1f ms, p90 %.1f ms", c, total, claims.count - 1,
                     sorted[sorted.count / 2] * 1000, sorted[min(sorted.count - 1, sorted.count * 9 / 10)] * 1000) + size)
        if pause > 0 && c < cycles { sleep(pause) }
    }
case "stages":
    // Time enqueue's two halves separately: parsing lines, and inserting 10,000-row batches.
    let reader = try LineReader(path: args[2])
    let parser = ActionDraftParser(validator: ProcessorRegistry.standard().validate)
    var drafts: [ActionDraft] = []
    let tParse = try seconds {
        while let d = try reader.next({ try parser.parse(bytes: $0) }) { drafts.append(d) }
    }
    let store = try SQLiteStore(path: args[3])
    try store.database.useLargeCache()
    let tInsert = try seconds {
        var i = 0
        while i < drafts.count {
            _ = try store.insert(Array(drafts[i..<min(i + 10_000, drafts.count)]), now: 1)
            i += 10_000
        }
    }
    let n = Double(drafts.count)
    print(String(format: "%d lines: parse %.2f us/line, insert %.2f us/row (%.0f rows/s)", drafts.count, tParse / n * 1e6, tInsert / n * 1e6, n / tInsert))
default:
    fputs("unknown bench command \(args[1])\n", stderr)
    exit(2)
}
