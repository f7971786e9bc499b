import Foundation
import FTACore
import FTATransport
import Logging

/// One `fta-sync` pass: every change after the checkpoint, in change order, to Elasticsearch
/// with `_bulk`, each document versioned by its change number (external versioning, so an
/// older write can never overwrite a newer one). The checkpoint moves only over a contiguous run
/// of acknowledged changes.
package final class SyncPass {
    package enum Mode: Sendable, Equatable {
        /// From the stored checkpoint, moving it.
        case live
        /// Everything (`since` nil) or rows updated since a time; the checkpoint is not touched.
        case backfill(since: Int64?)
    }

    package struct Report: Sendable, PassSummary {
        /// Documents Elasticsearch acknowledged (created, updated, or already newer there).
        package var exported = 0
        /// Rows read that are not exported (received, execution notices...).
        package var skipped = 0
        package var deadLettered = 0
        package var retriedItems = 0
        package var requests = 0
        /// Aliases layout: physical indices this run created (first or rollover) and deleted (retention).
        package var indicesCreated = 0
        package var indicesDeleted = 0
        package var checkpoint = SyncPosition.start
        package var seconds: Double = 0
        /// `live` (from the checkpoint) or `backfill`.
        package var mode = "live"

        package var figures: [Figure] {
            [
                .count("exported", exported, metric: "fta_sync_exported", help: "Documents acknowledged by the last run."),
                .count("skipped", skipped),
                .count("dead_lettered", deadLettered, metric: "fta_sync_dead_lettered", help: "Documents refused by the last run."),
                .count("retried_items", retriedItems), .count("requests", requests),
                .count("indices_created", indicesCreated), .count("indices_deleted", indicesDeleted),
                .count("checkpoint", checkpoint.seq, metric: "fta_sync_checkpoint", help: "Change number exported up to."),
                .seconds("seconds", seconds, metric: "fta_sync_duration_seconds", help: "Wall time of the last run."),
                .text("mode", mode),
            ]
        }
    }

    let store: any SyncStore
    let settings: ElasticsearchSettings
    let clock: Clock
    let logger: Logger
    package var maxRuntime: Double = 50
    /// Live mode only: after draining, wait for new changes until `maxRuntime` (`--linger`).
    package var linger = false
    /// How often a lingering export asks whether another process wrote, and how long it then
    /// waits for more changes to arrive before reading them as one batch (seconds).
    package var pollInterval = 0.05
    package var gatherWindow = 0.05
    package var userAgent = "fta/\(FTAVersion.string)"
    /// Called after each batch (exported, read so far) for a terminal's progress line.
    package var progress: ((Report) -> Void)?
    var random: () -> Double = { Double.random(in: 0..<1) }

    package init(store: any SyncStore, settings: ElasticsearchSettings, clock: Clock, logger: Logger) {
        self.store = store
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// Rows read after the cursor and their encoded items.
    struct Batch {
        var rows: [ExportRow]
        var items: [Item] = []
        var skipped = 0
    }

    /// One bulk item: the change it carries, its action line and document, and the delete lines
    /// for older indices of its day (aliases layout, after a rollover), sent once it is written.
    struct Item {
        var row: ExportRow
        var meta: [UInt8]
        var doc: [UInt8]
        var deletes: [UInt8] = []
        var byteCount: Int { meta.count + doc.count }
    }

    /// The index or write alias a row's document goes to.
    func target(_ row: ExportRow) -> String {
        switch settings.layout {
        case .aliases: return layout.writeAlias(AliasLayout.day(row.createTime))
        case .index: return ActionDocument.indexName(prefix: settings.prefix, createTime: row.createTime, pattern: settings.indexPattern)
        }
    }

    func item(_ row: ExportRow, doc: [UInt8]) -> Item {
        let id = ActionDocument.documentId(createTime: row.createTime, id: row.id)
        var line = doc
        line.append(0x0A)
        return Item(row: row, meta: Array("{\"index\":{\"_index\":\"\(target(row))\",\"_id\":\"\(id)\",\"version\":\(row.changeSeq),\"version_type\":\"external\"}}\n".utf8), doc: line)
    }

    var layout: AliasLayout { AliasLayout(prefix: settings.prefix) }

    /// Aliases layout: the cluster's indices and aliases as this run has made them (the
    /// exporting thread only).
    var layoutState: AliasLayout.State?

    /// The index template; with the aliases layout, the cluster's indices and aliases read and,
    /// when `maintain`, the run's maintenance done: the first index, a rollover by size or by a
    /// changed mapping, today's and tomorrow's aliases, indices past the retention deleted.
    func prepareCluster(_ client: ElasticsearchClient, report: inout Report, maintain: Bool) throws {
        let installed = try client.ensureTemplate(prefix: settings.prefix, shards: settings.shards, replicas: settings.replicas, pattern: settings.indexPattern)
        if installed {
            logger.info("index template installed", metadata: ["template": "\(settings.prefix)", "version": "\(ActionDocument.templateVersion)"])
        }
        guard settings.layout == .aliases else { return }
        let glob = layout.templateGlob
        var state = layout.state(sizes: try client.indexSizes(glob), aliases: try client.indexAliases(glob))
        // A cluster without the layout's first index gets it whatever the run (a retry of dead
        // letters included), so no write goes to an alias that does not exist.
        if maintain || state.current == nil {
            let plan = layout.plan(&state, now: clock.now(), rolloverBytes: settings.rolloverBytes, retentionDays: settings.retentionDays, mappingChanged: installed)
            if let name = plan.create {
                try client.createIndex(name)
                report.indicesCreated += 1
                logger.info("index created", metadata: ["index": "\(name)", "reason": "\(plan.reason ?? "")"])
            }
            try client.updateAliases(plan.aliasActions)
            for name in plan.deleteIndices {
                try client.deleteIndex(name)
                report.indicesDeleted += 1
                logger.info("index deleted: every day it holds is older than the retention", metadata: ["index": "\(name)", "retention_days": "\(settings.retentionDays)"])
            }
        }
        layoutState = state
    }

    /// Aliases layout, before a batch is sent: days without aliases get them on the current
    /// index; documents of days past the retention are left out (counted as skipped); a document
    /// of a day that spans several indices is deleted from the older ones, so it is found once.
    func placeItems(_ items: [Item], client: ElasticsearchClient, skipped: inout Int) throws -> [Item] {
        guard settings.layout == .aliases, var state = layoutState else { return items }
        let now = clock.now()
        var actions: [AliasLayout.AliasAction] = []
        var out: [Item] = []
        out.reserveCapacity(items.count)
        for var it in items {
            let day = AliasLayout.day(it.row.createTime)
            if layout.expired(day, now: now, retentionDays: settings.retentionDays) {
                skipped += 1
                continue
            }
            actions += layout.ensureDay(day, state: &state)
            let id = ActionDocument.documentId(createTime: it.row.createTime, id: it.row.id)
            for older in layout.olderIndices(day, state: state) {
                it.deletes += Array("{\"delete\":{\"_index\":\"\(older)\",\"_id\":\"\(id)\"}}\n".utf8)
            }
            out.append(it)
        }
        try client.updateAliases(actions)
        layoutState = state
        return out
    }

    /// The NDJSON a pass would send, without sending (`--dry-run`).
    package func dryRun(mode: Mode, write: ([UInt8]) -> Void) throws -> Int {
        var cursor = mode == .live ? try store.syncCheckpoint(settings.target) : .start
        let since: Int64? = { if case .backfill(let s) = mode { return s } else { return nil } }()
        var count = 0
        while true {
            let rows = try store.changes(after: cursor, limit: settings.batchSize, updatedSince: since)
            guard let last = rows.last else { break }
            var batch: [UInt8] = []
            for r in rows {
                if let doc = ActionDocument.encode(r, now: clock.now()) {
                    let it = item(r, doc: doc)
                    batch += it.meta
                    batch += it.doc
                    count += 1
                }
            }
            write(batch)
            cursor = last.position
        }
        return count
    }

    package func run(mode: Mode) throws -> Report {
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        let client = try ElasticsearchClient(settings: settings, userAgent: userAgent)
        let info = try client.send("GET", "/")
        guard (200..<300).contains(info.status) else {
            throw FTAError.environment("elasticsearch \(Redactor.safeURL(settings.urls[0])): GET / answered \(info.status): \(TextLimit.excerpt(info.bodyText))")
        }
        var report = Report()
        try prepareCluster(client, report: &report, maintain: true)
        let live = mode == .live
        report.mode = live ? "live" : "backfill"
        let since: Int64? = { if case .backfill(let s) = mode { return s } else { return nil } }()
        var cursor = live ? try store.syncCheckpoint(settings.target) : .start
        report.checkpoint = cursor

        // Reading and encoding the next batch runs on a second thread while this one waits for
        // Elasticsearch's answer to the previous one.
        let queue = BoundedQueue<Result<Batch, Error>>(capacity: 2)
        let stop = StopFlag()
        let startCursor = cursor
        let linger = self.linger && live
        let initialMark = linger ? try store.changeMark() : 0
        let producer = Thread { [store, settings, clock] in
            var readCursor = startCursor
            var mark = initialMark
            while !stop.isSet {
                do {
                    let rows = try store.changes(after: readCursor, limit: settings.batchSize, updatedSince: since)
                    guard let last = rows.last else {
                        // Drained: a lingering export waits for another process's commit.
                        if linger, try self.waitForChanges(mark: &mark, started: started, stop: stop) { continue }
                        break
                    }
                    var batch = Batch(rows: rows)
                    for r in rows {
                        if let doc = ActionDocument.encode(r, now: clock.now()) { batch.items.append(self.item(r, doc: doc)) } else { batch.skipped += 1 }
                    }
                    readCursor = last.position
                    queue.put(.success(batch))
                } catch {
                    queue.put(.failure(error))
                    break
                }
            }
            queue.close()
        }
        producer.stackSize = 1 << 20
        producer.start()
        defer {
            stop.set()
            while queue.take() != nil {}
        }

        while elapsed() < maxRuntime, let next = queue.take() {
            let batch = try next.get()
            report.skipped += batch.skipped
            let items = try placeItems(batch.items, client: client, skipped: &report.skipped)
            let result = try deliver(items, client: client, report: &report)
            if !result.dead.isEmpty {
                try store.addDeadLetters(settings.target, result.dead.map {
                    DeadLetter(actionId: $0.row.id, changeSeq: $0.row.changeSeq, reason: $0.reason, createTime: clock.now())
                })
                for d in result.dead {
                    logger.error("document refused, dead-lettered", metadata: ["action": "\(d.row.id)", "reason": "\(d.reason)"])
                }
            }
            report.exported += result.acked
            report.deadLettered += result.dead.count
            // Advance over the contiguous run of acknowledged (or dead-lettered) changes.
            let reached: SyncPosition
            if let firstFailed = result.unacknowledged.min() {
                reached = batch.rows.last(where: { $0.position < firstFailed })?.position ?? cursor
            } else {
                reached = batch.rows.last?.position ?? cursor
            }
            if live, reached > cursor { try store.advanceSync(settings.target, to: reached, exported: result.acked, now: clock.now()) }
            cursor = max(cursor, reached)
            report.checkpoint = cursor
            progress?(report)
            if !result.unacknowledged.isEmpty {
                throw FTAError.environment("elasticsearch kept refusing \(result.unacknowledged.count) documents after \(settings.maxRetries) retries (\(result.lastError)); the checkpoint stays at change \(cursor)")
            }
        }
        report.seconds = elapsed()
        return report
    }

    /// Sleeps until another process commits (then a short gather window, so changes that
    /// arrive together go out together); false when the runtime ended or the export must stop.
    func waitForChanges(mark: inout Int64, started: UInt64, stop: StopFlag) throws -> Bool {
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        while !stop.isSet && !StopSignals.requested && elapsed() < maxRuntime {
            let now = try store.changeMark()
            if now != mark {
                mark = now
                usleep(UInt32(gatherWindow * 1_000_000))
                return true
            }
            usleep(UInt32(min(pollInterval, max(0.001, maxRuntime - elapsed())) * 1_000_000))
        }
        return false
    }

    struct Delivery {
        var acked = 0
        var dead: [(row: ExportRow, reason: String)] = []
        /// Changes still not acknowledged after all retries.
        var unacknowledged: [SyncPosition] = []
        var lastError = ""
    }

    /// Sends `items` in bulk requests bounded by count and bytes, retrying 429/5xx items with
    /// backoff and jitter (a `Retry-After` is honoured, up to 30 s).
    func deliver(_ items: [Item], client: ElasticsearchClient, report: inout Report) throws -> Delivery {
        var d = Delivery()
        var pending = items
        var attempt = 0
        while !pending.isEmpty {
            var retry: [Item] = []
            var retryAfter: Double = 0
            var start = 0
            while start < pending.count {
                var end = start
                var bytes = 0
                while end < pending.count, end - start < settings.batchSize, end == start || bytes + pending[end].byteCount <= settings.batchBytes {
                    bytes += pending[end].byteCount
                    end += 1
                }
                let chunk = Array(pending[start..<end])
                start = end
                var body: [UInt8] = []
                body.reserveCapacity(bytes)
                for i in chunk {
                    body += i.meta
                    body += i.doc
                }
                let response = try client.send("POST", "/_bulk", body: body, contentType: "application/x-ndjson")
                report.requests += 1
                if response.status == 429 || response.status >= 500 {
                    d.lastError = "bulk answered \(response.status): \(TextLimit.excerpt(response.bodyText))"
                    retry += chunk
                    retryAfter = max(retryAfter, Double(response.headers["retry-after"] ?? "") ?? 0)
                    continue
                }
                guard response.status == 200, let doc = try? JSONParser.parse(response.bodyText), let results = doc["items"]?.arrayValue,
                      results.count == chunk.count else {
                    throw FTAError.environment("elasticsearch: bulk answered \(response.status): \(TextLimit.excerpt(response.bodyText))")
                }
                var written: [Item] = []
                for (item, result) in zip(chunk, results) {
                    let r = result["index"] ?? result.objectValue?.values.first ?? .null
                    let status = Int(r["status"]?.intValue ?? 0)
                    let type = r["error"]?["type"]?.stringValue ?? ""
                    switch status {
                    case 200, 201:
                        d.acked += 1
                        written.append(item)
                    case 409 where type == "version_conflict_engine_exception":
                        // A newer (or the same) version is already there: done.
                        d.acked += 1
                        written.append(item)
                    case 429, 500...599:
                        retry.append(item)
                        d.lastError = "\(status) \(type)"
                    default:
                        let reason = r["error"]?["reason"]?.stringValue ?? ""
                        d.dead.append((item.row, "\(status) \(type): \(reason)"))
                    }
                }
                try removeOlderCopies(written, client: client, report: &report)
            }
            guard !retry.isEmpty else { break }
            attempt += 1
            report.retriedItems += retry.count
            if attempt > settings.maxRetries {
                d.unacknowledged = retry.map(\.row.position)
                break
            }
            let backoff = min(30, max(retryAfter, 0.1 * pow(2, Double(attempt - 1)) * (1 + random())))
            logger.warning("elasticsearch refused \(retry.count) documents for now; retrying in \(String(format: "%.2f", backoff)) s", metadata: ["attempt": "\(attempt)", "error": "\(d.lastError)"])
            Thread.sleep(forTimeInterval: backoff)
            pending = retry
        }
        return d
    }

    /// Deletes the copies that documents just written left in older indices of their day, in
    /// one bulk request. Only after the write succeeded, so a refused write never loses the
    /// copy readers still find; a delete refused (an index closed or read-only) is logged and
    /// leaves a stale copy, not a lost document.
    func removeOlderCopies(_ written: [Item], client: ElasticsearchClient, report: inout Report) throws {
        let body = written.reduce(into: [UInt8]()) { $0 += $1.deletes }
        guard !body.isEmpty else { return }
        let response = try client.send("POST", "/_bulk", body: body, contentType: "application/x-ndjson")
        report.requests += 1
        let results = (try? JSONParser.parse(response.bodyText))?["items"]?.arrayValue ?? []
        let refused = results.compactMap { $0["delete"] }.filter { ![200, 404].contains($0["status"]?.intValue ?? 0) }
        if response.status != 200 || !refused.isEmpty {
            let why = refused.first.map { "\($0["status"]?.intValue ?? 0) \($0["error"]?["type"]?.stringValue ?? "")" } ?? "bulk answered \(response.status)"
            logger.warning("older copies of updated documents not deleted; the read alias may show them twice until a later update",
                           metadata: ["count": "\(max(refused.count, response.status == 200 ? 0 : written.count))", "error": "\(why)"])
        }
    }

    /// Sends the dead-lettered rows again (after a mapping fix); those acknowledged leave the
    /// table. Returns (sent, still refused).
    package func retryDead() throws -> (sent: Int, failed: Int) {
        let letters = try store.deadLetters(settings.target)
        guard !letters.isEmpty else { return (0, 0) }
        let client = try ElasticsearchClient(settings: settings, userAgent: userAgent)
        var report = Report()
        try prepareCluster(client, report: &report, maintain: false)
        let rows = try store.exportRows(ids: letters.map(\.actionId))
        var items: [Item] = []
        // Rows deleted since they were refused have nothing left to send.
        var gone: [Int64] = Array(Set(letters.map(\.actionId)).subtracting(rows.map(\.id)))
        for r in rows {
            if let doc = ActionDocument.encode(r, now: clock.now()) { items.append(item(r, doc: doc)) } else { gone.append(r.id) }
        }
        var skipped = 0
        let placed = try placeItems(items, client: client, skipped: &skipped)
        // Documents of days past the retention are not sent again; their letters are done.
        gone += Set(items.map(\.row.id)).subtracting(placed.map(\.row.id))
        items = placed
        let d = try deliver(items, client: client, report: &report)
        let stillDead = Set(d.dead.map(\.row.id)).union(items.filter { d.unacknowledged.contains($0.row.position) }.map(\.row.id))
        let done = items.map(\.row.id).filter { !stillDead.contains($0) } + gone
        try store.removeDeadLetters(settings.target, ids: done)
        try store.addDeadLetters(settings.target, d.dead.map { DeadLetter(actionId: $0.row.id, changeSeq: $0.row.changeSeq, reason: $0.reason, createTime: clock.now()) })
        return (done.count, stillDead.count)
    }
}
