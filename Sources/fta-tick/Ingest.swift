import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import FTATransport
import Logging

extension FtaTick {
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create actions from alert events given as JSON lines (a file, or - for stdin).",
            discussion: """
                Each line is one alert event: the signal, the alert and the strategy snapshot with its
                notice and action relations (docs/ingest-format.md), e.g.
                  {"signal":"abnormal","alert":{"id":"a1","strategy_id":7,"severity":1,"status":"ABNORMAL",
                   "begin_time":1763888400,"latest_time":1763888400,"event":{"bk_biz_id":2}},
                   "strategy":{"id":7,"name":"cpu high","notice":{"id":70,"config_id":1,
                     "signal":["abnormal","recovered"],"user_groups":["ops"]}}}
                Action configs are found by id in the event's action_configs or the config file's.
                The notice becomes a parent with one child per notice way and receiver; interval
                repeats follow while the alert stays abnormal; recovered/closed stops them.
                Ingesting the same event again creates nothing new. Bad lines are reported with
                their number on stderr; the good ones are still stored (exit 1).
                Example: fta-tick ingest --db fta.db --config fta.yaml events.jsonl
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "JSON-lines file, or - for standard input.") var file: String = "-"
        @Flag(help: "Print one JSON object per event instead of one new id per line.") var json = false

        func run() throws {
            var env = try global.prepare(label: "fta-tick")
            let reader = try LineReader(path: file)
            let store = try env.openStore()
            env.config.directory = try store.loadDirectory().overlaid(by: env.config.directory)
            for g in try store.applyDuty(to: &env.config.directory, at: env.clock.now()) {
                CommandOutput.report("duty group '\(g)' has nobody on duty and lists no users; its notices reach nobody", level: "warning")
            }
            let source = file == "-" ? "stdin" : file
            var stage = env.config.creationStage(registry: .standard(config: env.config))
            stage.breaker = try store.breakerMatcher(now: env.clock.now())
            StopSignals.install()
            var report = try IngestRun(store: store, stage: stage, clock: env.clock).run(reader) { r in
                CommandOutput.report(source: source, line: r.line, r.reason)
            }
            var out = ""
            for e in report.events {
                for w in e.warnings { CommandOutput.report(source: source, line: e.line, w, level: "warning") }
                for n in e.notes { env.logger.info("\(source) line \(e.line): \(n)") }
                if !e.duplicates.isEmpty {
                    CommandOutput.report(source: source, line: e.line,
                                         "alert \(e.alertId) \(e.signal) already ingested (actions \(e.duplicates.map(String.init).joined(separator: ", "))); nothing new", level: "info")
                }
                if json {
                    let o: JSONValue = [
                        "line": .int(Int64(e.line)), "alert_id": .string(e.alertId), "signal": .string(e.signal),
                        "stored": .array(e.stored.map { .int($0) }), "duplicates": .array(e.duplicates.map { .int($0) }),
                        "stopped_repeats": .int(Int64(e.stoppedRepeats)), "notes": .array(e.notes.map { .string($0) }),
                        "warnings": .array(e.warnings.map { .string($0) }), "held_by_breaker": .int(Int64(e.heldByBreaker)),
                    ]
                    out += o.jsonText + "\n"
                } else {
                    for id in e.stored { out += "\(id)\n" }
                }
            }
            if json {
                for r in report.rejected { out += JSONValue.object(["line": .int(Int64(r.line)), "error": .string(Redactor.maskText(r.reason))]).jsonText + "\n" }
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            report.source = source
            try env.finish(report, log: "ingest done", json: false)
            if let line = report.stoppedAfterLine {
                CommandOutput.report("\(source): stopped by a signal after line \(line): events up to line \(line) are stored as reported; nothing after it was read")
            }
            if !report.rejected.isEmpty || report.warningCount > 0 || report.stoppedAfterLine != nil { throw CommandExit(.attention) }
        }
    }
}
