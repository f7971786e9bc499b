import Foundation
import Logging

/// `fta-tick enqueue`: JSON lines in, rows out. A bad line is reported with its number and
/// reason and the good lines are still stored (in transactions of `batchSize` lines).
public struct EnqueueRun {
    public struct Rejection: Sendable, Equatable {
        public var line: Int
        public var reason: String
    }

    public struct Report: Sendable {
        public var stored: [(line: Int, id: Int64)] = []
        public var duplicates: [(line: Int, id: Int64)] = []
        public var rejected: [Rejection] = []
    }

    let store: ActionStore
    let registry: ProcessorRegistry
    let clock: Clock
    public var batchSize = 5000

    public init(store: ActionStore, registry: ProcessorRegistry, clock: Clock) {
        self.store = store
        self.registry = registry
        self.clock = clock
    }

    /// Reads every line of `reader`; `onRejected` is called as soon as a line is refused.
    public func run(_ reader: LineReader, source: String, onRejected: (Rejection) -> Void = { _ in }) throws -> Report {
        var report = Report()
        var batch: [ActionDraft] = []
        var lines: [Int] = []
        batch.reserveCapacity(batchSize)
        func flush() throws {
            guard !batch.isEmpty else { return }
            let results = try store.insert(batch, now: clock.now())
            for (line, r) in zip(lines, results) {
                switch r {
                case .stored(let id): report.stored.append((line, id))
                case .duplicate(let id): report.duplicates.append((line, id))
                }
            }
            batch.removeAll(keepingCapacity: true)
            lines.removeAll(keepingCapacity: true)
        }
        while let parsed = reader.next({ bytes -> Result<ActionDraft, Error>? in
            // Blank lines are skipped.
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
            do {
                let value = try JSONParser.parse(bytes: bytes)
                return .success(try ActionDraftParser.parse(value, validate: registry.validate))
            } catch {
                return .failure(error)
            }
        }) {
            guard let parsed else { continue }
            switch parsed {
            case .success(let draft):
                batch.append(draft)
                lines.append(reader.lineNumber)
                if batch.count >= batchSize { try flush() }
            case .failure(let error):
                let r = Rejection(line: reader.lineNumber, reason: "\(error)")
                report.rejected.append(r)
                onRejected(r)
            }
        }
        try flush()
        return report
    }
}
