import Foundation
import FTAActions
import FTACore
import FTATransport
import Logging

/// `fta-tick enqueue`: JSON lines in, rows out. A bad line is reported with its number and
/// reason and the good lines are still stored (in transactions of `batchSize` lines).
///
/// Reading and parsing run on a second thread while this one writes the previous batch, so
/// the two halves of the work use both cores.
package struct EnqueueRun {
    package struct Rejection: Sendable, Equatable {
        package var line: Int
        package var reason: String
    }

    package struct Report: Sendable, PassSummary {
        package var stored: [(line: Int, id: Int64)] = []
        package var duplicates: [(line: Int, id: Int64)] = []
        package var rejected: [Rejection] = []
        /// Lines stored with something to say (unknown fields ignored).
        package var warnings: [Rejection] = []
        /// The last line read when a stop signal ended the run early (everything up to it is
        /// committed and reported); nil when the whole input was read.
        package var stoppedAfterLine: Int?
        /// The last line read.
        package var lastLine = 0
        /// Where the lines came from (a file name or `stdin`), for the log line.
        package var source = ""

        package var figures: [Figure] {
            [
                .count("stored", stored.count, metric: "fta_enqueue_stored", help: "Actions stored by the last enqueue."),
                .count("duplicates", duplicates.count, metric: "fta_enqueue_duplicates", help: "Lines of the last enqueue whose dedupe_key was already stored."),
                .count("rejected", rejected.count, metric: "fta_enqueue_rejected", help: "Lines the last enqueue refused."),
                .count("warnings", warnings.count),
                .count("lines", lastLine),
                .text("source", source),
            ]
        }
    }

    /// One committed transaction: which lines it covered and what became of them. Reported as
    /// soon as it is committed, so a run that is killed later has said what it stored.
    package struct Committed: Sendable {
        package var firstLine: Int
        package var lastLine: Int
        package var stored: [(line: Int, id: Int64)] = []
        package var duplicates: [(line: Int, id: Int64)] = []
        package var rejected: [Rejection] = []
        package var warnings: [Rejection] = []
    }

    let store: any IntakeStore
    let registry: ProcessorRegistry
    let clock: Clock
    package var batchSize = 5_000

    package init(store: any IntakeStore, registry: ProcessorRegistry, clock: Clock) {
        self.store = store
        self.registry = registry
        self.clock = clock
    }

    /// One parsed batch: rows packed for insertion with their line numbers, and the lines
    /// refused in between.
    struct Batch {
        var rows = PackedActions()
        var lines: [Int] = []
        var rejected: [Rejection] = []
        var warnings: [Rejection] = []
        var firstLine = 0
        var lastLine = 0
        var error: Error?
        var last = false
        var stopped = false
    }

    /// Reads every line of `reader`; `onCommitted` is called after each transaction commits,
    /// in order, with what it stored and the lines refused before it. A stop signal ends the
    /// read after the line in hand: what was read is committed and reported first.
    package func run(_ reader: LineReader, onCommitted: (Committed) -> Void = { _ in }) throws -> Report {
        let writer = try store.beginBulkInsert()
        defer { writer.finish() }
        // A two-slot hand-over between the parsing thread and the writing thread.
        let handoff = BoundedQueue<Batch>(capacity: 2)
        let size = batchSize
        let parser = ActionDraftParser(validator: registry.validate)
        let producer = Thread {
            var batch = Batch(rows: PackedActions(reservingRows: size), firstLine: 1)
            while true {
                if StopSignals.requested {
                    batch.stopped = true
                    break
                }
                let parsed: Result<ActionDraft, Error>??
                parsed = reader.next { bytes -> Result<ActionDraft, Error>? in
                    if reader.lastLineTooLong {
                        return .failure(FieldError("", "line longer than \(reader.maxLineBytes) bytes; skipped"))
                    }
                    // Blank lines are skipped.
                    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
                    do { return .success(try parser.parse(bytes: bytes)) } catch { return .failure(error) }
                }
                guard let item = parsed else { break }
                batch.lastLine = reader.lineNumber
                switch item {
                case .none: continue
                case .success(let draft)?:
                    // Packed here, so the writing thread neither copies nor frees the strings.
                    batch.rows.append(draft)
                    batch.lines.append(reader.lineNumber)
                    for w in parser.warnings { batch.warnings.append(Rejection(line: reader.lineNumber, reason: w)) }
                case .failure(let error)?:
                    batch.rejected.append(Rejection(line: reader.lineNumber, reason: "\(error)"))
                }
                if batch.rows.count >= size {
                    handoff.put(batch)
                    batch = Batch(rows: PackedActions(reservingRows: size), firstLine: reader.lineNumber + 1, lastLine: reader.lineNumber)
                }
            }
            if reader.stoppedBySignal { batch.stopped = true }
            batch.last = true
            handoff.put(batch)
        }
        producer.stackSize = 1 << 20
        producer.start()

        var report = Report()
        var failure: Error?
        while true {
            // Never closed: the parsing thread's last batch says so.
            guard let batch = handoff.take() else { break }
            if failure == nil {
                var committed = Committed(firstLine: batch.firstLine, lastLine: batch.lastLine, rejected: batch.rejected, warnings: batch.warnings)
                do {
                    if !batch.rows.isEmpty {
                        let results = try writer.insert(batch.rows, now: clock.now())
                        for (line, r) in zip(batch.lines, results) {
                            switch r {
                            case .stored(let id): committed.stored.append((line, id))
                            case .duplicate(let id): committed.duplicates.append((line, id))
                            }
                        }
                    }
                    report.stored += committed.stored
                    report.duplicates += committed.duplicates
                    report.rejected += committed.rejected
                    report.warnings += committed.warnings
                    report.lastLine = max(report.lastLine, batch.lastLine)
                    if batch.lastLine >= batch.firstLine || !committed.rejected.isEmpty { onCommitted(committed) }
                    if batch.stopped { report.stoppedAfterLine = batch.lastLine }
                } catch {
                    // Keep draining so the parsing thread can finish; report the first error.
                    failure = error
                }
            }
            if batch.last { break }
        }
        if let failure { throw failure }
        return report
    }
}
