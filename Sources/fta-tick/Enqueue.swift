import ArgumentParser
import Foundation
import FTACommand
import FTAConfig
import FTACore
import FTAPasses
import FTATransport
import Logging

extension FtaTick {
    struct Enqueue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store action instances given as JSON lines (a file, or - for stdin).",
            discussion: """
                Each line is one action in the original's field names, e.g.
                  {"signal":"abnormal","strategy_id":1,"bk_biz_id":"2","alerts":["a1"],
                   "action_plugin":{"plugin_type":"webhook"},
                   "action_config":{"id":5,"name":"notify cmdb","execute_config":{"timeout":600,
                     "template_detail":{"method":"POST","url":"https://hooks.example.com/fta",
                       "body":{"data_type":"raw","content_type":"json","content":"{\\"alert\\":\\"{{alert.id}}\\"}"},
                       "failed_retry":{"is_enabled":true,"timeout":10,"max_retry_times":2,"retry_interval":60}}}},
                   "dedupe_key":"alert-a1-abnormal-5","due_at":"2026-11-23T10:00:00Z"}
                A line with a dedupe_key already stored is ignored and reported. Bad lines are
                reported with their number on stderr; the good ones are still stored (exit 1).
                Example: fta-tick enqueue --db fta.db actions.jsonl
                """)

        @OptionGroup var global: GlobalOptions
        @Argument(help: "JSON-lines file, or - for standard input.") var file: String = "-"
        @Flag(help: "Print one JSON object per committed batch ({\"lines\":[first,last],\"stored\":[...],\"duplicates\":[...],\"rejected\":[...],\"warnings\":[...]}) instead of one id per line.") var json = false

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            let reader = try LineReader(path: file)
            let store = try env.openStore()
            let source = file == "-" ? "stdin" : file
            StopSignals.install()
            let enqueue = EnqueueRun(store: store, registry: .standard(config: env.config), clock: env.clock)
            // Each committed batch is reported at once (and flushed), so a run that is stopped or
            // killed has already said what it stored.
            var report = try enqueue.run(reader) { batch in
                for r in batch.rejected { CommandOutput.report(source: source, line: r.line, r.reason) }
                for w in batch.warnings { CommandOutput.report(source: source, line: w.line, w.reason, level: "warning") }
                for d in batch.duplicates {
                    CommandOutput.report(source: source, line: d.line, "dedupe_key already stored as action \(d.id); ignored", level: "info")
                }
                var out = ""
                if json {
                    let o: JSONValue = [
                        "lines": [.int(Int64(batch.firstLine)), .int(Int64(batch.lastLine))],
                        "stored": .array(batch.stored.map { ["line": .int(Int64($0.line)), "id": .int($0.id)] }),
                        "duplicates": .array(batch.duplicates.map { ["line": .int(Int64($0.line)), "id": .int($0.id)] }),
                        "rejected": .array(batch.rejected.map { ["line": .int(Int64($0.line)), "error": .string(Redactor.maskText($0.reason))] }),
                        "warnings": .array(batch.warnings.map { ["line": .int(Int64($0.line)), "warning": .string($0.reason)] }),
                    ]
                    out = o.jsonText + "\n"
                } else {
                    for s in batch.stored { out += "\(s.id)\n" }
                }
                FileHandle.standardOutput.write(Data(out.utf8))
            }
            if let line = report.stoppedAfterLine {
                CommandOutput.report("\(source): stopped by a signal after line \(line): lines 1-\(line) are committed as reported; "
                                     + "nothing after line \(line) was read (run the rest again: lines with a dedupe_key already stored are skipped)")
            }
            report.source = source
            try env.finish(report, log: "enqueue done", json: false)
            if !report.rejected.isEmpty || !report.warnings.isEmpty || report.stoppedAfterLine != nil { throw CommandExit(.attention) }
        }
    }
}
