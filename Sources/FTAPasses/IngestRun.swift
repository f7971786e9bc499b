import Foundation
import FTACore
import FTATransport

/// `fta-tick ingest`: alert events in (JSON lines), the creation stage's rows out. A bad event
/// is reported with its line number and stores nothing; the others are stored, in
/// transactions of `batchSize` events.
package struct IngestRun {
    package struct LineResult: Sendable {
        package var line: Int
        package var alertId: String
        package var signal: String
        package var stored: [Int64]
        package var duplicates: [Int64]
        package var stoppedRepeats: Int
        package var notes: [String]
        package var warnings: [String]
        /// Alerts the circuit breaker left out of the message-queue action.
        package var heldByBreaker: Int
    }

    package struct Report: Sendable, PassSummary {
        package var events: [LineResult] = []
        package var rejected: [EnqueueRun.Rejection] = []
        package var storedCount: Int { events.reduce(0) { $0 + $1.stored.count } }
        package var duplicateCount: Int { events.reduce(0) { $0 + $1.duplicates.count } }
        package var warningCount: Int { events.reduce(0) { $0 + $1.warnings.count } }
        package var heldByBreaker: Int { events.reduce(0) { $0 + $1.heldByBreaker } }
        /// The last line read when a stop signal ended the run early.
        package var stoppedAfterLine: Int?
        /// Where the events came from (a file name or `stdin`), for the log line.
        package var source = ""

        package var figures: [Figure] {
            [
                .count("events", events.count, metric: "fta_ingest_events", help: "Alert events the last ingest accepted."),
                .count("stored", storedCount, metric: "fta_ingest_actions_stored", help: "Actions the last ingest created."),
                .count("duplicates", duplicateCount),
                .count("rejected", rejected.count, metric: "fta_ingest_rejected", help: "Lines the last ingest refused."),
                .count("warnings", warningCount),
                .count("held_by_breaker", heldByBreaker, metric: "fta_ingest_held_by_breaker", help: "Alerts the circuit breaker left out in the last ingest."),
                .text("source", source),
            ]
        }
    }

    let store: any IntakeStore
    let stage: CreationStage
    let clock: Clock
    package var batchSize = 500

    package init(store: any IntakeStore, stage: CreationStage, clock: Clock) {
        self.store = store
        self.stage = stage
        self.clock = clock
    }

    /// Plans one line; the error says what is wrong with it. Unknown top-level fields become
    /// warnings of the plan.
    func plan(_ bytes: UnsafeBufferPointer<UInt8>, now: Int64) throws -> (AlertEvent, CreationStage.Plan) {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes: bytes) } catch { throw FieldError("", "malformed JSON: \(error)") }
        let event = try AlertEvent.parse(value)
        var plan = try stage.plan(event, now: now)
        plan.warnings = AlertEvent.unknownFields(value) + plan.warnings
        return (event, plan)
    }

    /// Reads every line of `reader`. A stop signal ends the read after the line in hand; what was
    /// read is stored and reported (``Report/stoppedAfterLine``).
    package func run(_ reader: LineReader, onRejected: (EnqueueRun.Rejection) -> Void = { _ in }) throws -> Report {
        var report = Report()
        var pending: [(line: Int, event: AlertEvent, plan: CreationStage.Plan)] = []
        // A batch is stored on a second thread while the next one is read and planned: the
        // plan is about half of an event's instructions and the store a third
        // (BENCHMARKS.md, "Throughput"). One batch at a time, in order; a failed store is
        // thrown at the next hand-over or at the end, and nothing after it is stored (lines
        // of the batch being read meanwhile may already have been reported as rejected).
        let writer = BatchWriter()
        func drain() throws {
            writer.done.wait()
            if let error = writer.error { throw error }
        }
        func flush() throws {
            try drain()
            guard !pending.isEmpty else { return }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            writer.done.enter()
            writer.queue.async { [store, clock] in
                defer { writer.done.leave() }
                let now = clock.now()
                do {
                    let results = try store.store(batch.map {
                        PlannedEvent(alertId: $0.event.alertId, signal: $0.event.signal, plan: $0.plan,
                                     seenAt: $0.event.alert["latest_time"]?.intValue ?? now)
                    }, now: now)
                    for (p, r) in zip(batch, results) {
                        writer.events.append(LineResult(line: p.line, alertId: p.event.alertId, signal: p.event.signal, stored: r.stored,
                                                        duplicates: r.duplicates, stoppedRepeats: r.stoppedRepeats, notes: p.plan.notes,
                                                        warnings: p.plan.warnings, heldByBreaker: p.plan.heldByBreaker))
                    }
                } catch {
                    writer.error = error
                }
            }
        }
        // (A read error leaves by this too: nothing is left running.)
        defer { writer.done.wait() }
        let now = clock.now()
        while true {
            if StopSignals.requested { report.stoppedAfterLine = reader.lineNumber; break }
            let item: Result<(AlertEvent, CreationStage.Plan), Error>?? = reader.next { bytes in
                if reader.lastLineTooLong { return .failure(FieldError("", "line longer than \(reader.maxLineBytes) bytes; skipped")) }
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }) { return nil }
                do { return .success(try plan(bytes, now: now)) } catch { return .failure(error) }
            }
            guard let parsed = item else { break }
            switch parsed {
            case .none: continue
            case .success(let (event, plan))?:
                pending.append((reader.lineNumber, event, plan))
                if pending.count >= batchSize { try flush() }
            case .failure(let error)?:
                let r = EnqueueRun.Rejection(line: reader.lineNumber, reason: "\(error)")
                report.rejected.append(r)
                onRejected(r)
            }
        }
        if reader.stoppedBySignal { report.stoppedAfterLine = reader.lineNumber }
        try flush()
        try drain()
        report.events = writer.events
        return report
    }

    /// The storing side of ``run(_:onRejected:)``: a serial queue and what it produced. Its
    /// fields are read only after ``done`` is waited on.
    final class BatchWriter: @unchecked Sendable {
        let queue = DispatchQueue(label: "fta.ingest.store")
        let done = DispatchGroup()
        var events: [LineResult] = []
        var error: Error?
    }
}

extension CreationStage {
    /// The next round of an interval repeat, from the previous round's snapshots.
    package func planRepeat(_ due: DueRepeat, now: Int64) throws -> Plan {
        let alert = try JSONParser.parse(due.alert)
        let strategy = try JSONParser.parse(due.strategy)
        var event = AlertEvent(signal: due.signal, alert: alert, alertId: due.alertId, strategy: strategy,
                               strategyId: strategy["id"]?.intValue ?? alert["strategy_id"]?.intValue ?? 0)
        event.round = due.rounds
        event.relationId = due.relationId
        event.noticeType = (try? JSONParser.parse(due.inputs))?["notice_type"]?.stringValue ?? "normal"
        let snapshot = try JSONParser.parse(due.actionConfig)
        return try plan(event, now: now, fallbackConfigs: snapshot.objectValue == nil ? [:] : [due.configId: snapshot])
    }
}
