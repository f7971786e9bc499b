import FTACore
import GRDB

/// Storing the creation stage's plans, and interval repeats (`alert_cycle`).
extension SQLiteStore {
    /// Stores the plans of several events in one transaction: each action before its
    /// children (which need its id), repeats started for actions that repeat, and repeats of
    /// ended alerts stopped. An action already stored (same dedupe key) is left as it is,
    /// children included, so ingesting an event twice creates nothing new.
    package func store(_ events: [PlannedEvent], now: Int64) throws -> [PlanResult] {
        try database.write { db in
            var inserter = try RowInserter(db: db, path: database.path)
            defer { inserter.finish() }
            let startCycle = try db.cachedStatement(sql: """
                INSERT INTO alert_cycle (alert_id, relation_id, config_id, signal, action_id, execute_times, last_time, next_at, seen_at, started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """)
            // An event that sees the alert again keeps its repeats going (``RepeatLimits``).
            let seen = try db.cachedStatement(sql: """
                UPDATE alert_cycle SET seen_at = max(coalesce(seen_at, 0), ?) WHERE alert_id = ? AND next_at IS NOT NULL
                """)
            let markPoll = try db.cachedStatement(sql: "UPDATE action_instance SET need_poll = 1, \(Schema.nextChange) WHERE id = ?")
            let stop = try db.cachedStatement(sql: "UPDATE alert_cycle SET next_at = NULL, last_time = ? WHERE alert_id = ? AND next_at IS NOT NULL")
            var results: [PlanResult] = []
            for e in events {
                var r = PlanResult()
                if e.plan.stopsRepeats {
                    for id in e.plan.alertIds.isEmpty ? [e.alertId] : e.plan.alertIds {
                        try stop.execute(arguments: [now, id])
                        r.stoppedRepeats += db.changesCount
                    }
                } else {
                    try seen.execute(arguments: [e.seenAt, e.alertId])
                }
                for family in e.plan.families {
                    switch try inserter.insert(family.action, now: now) {
                    case .duplicate(let id):
                        r.duplicates.append(id)
                    case .stored(let id):
                        r.stored.append(id)
                        for var child in family.children {
                            child.parentActionId = id
                            if case .stored(let cid) = try inserter.insert(child, now: now) { r.stored.append(cid) }
                        }
                        if let after = family.repeatAfter {
                            try startCycle.execute(arguments: [e.alertId, family.relationId, family.action.actionConfigId, e.signal, id,
                                                               family.action.executeTimes + 1, now, now + after, e.seenAt, now])
                            if db.changesCount > 0 { try markPoll.execute(arguments: [id]) }
                        }
                    }
                }
                results.append(r)
            }
            return results
        }
    }

    /// Creates the next round of every repeat due at `now` (up to `limit`), in one transaction.
    /// `build` turns a due repeat into the next round's plan (nil: the repeat ends). The next
    /// round is due `repeatAfter` seconds after *now*, so after downtime one catch-up round is
    /// sent, not one per missed interval.
    package func createDueRepeats(now: Int64, limit: Int, build: (DueRepeat) throws -> CreationStage.Plan?) throws -> RepeatReport {
        try database.write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT c.alert_id, c.relation_id, c.config_id, c.signal, c.execute_times, c.action_id,
                       a.alert, a.strategy, a.action_config, a.inputs, coalesce(c.seen_at, c.last_time), coalesce(c.started_at, c.last_time)
                FROM alert_cycle c INDEXED BY alert_cycle_next JOIN action_detail a ON a.id = c.action_id
                WHERE c.next_at IS NOT NULL AND c.next_at <= ? ORDER BY c.next_at LIMIT ?
                """, arguments: [now, limit])
            var report = RepeatReport()
            guard !rows.isEmpty else { return report }
            var inserter = try RowInserter(db: db, path: database.path)
            defer { inserter.finish() }
            let advance = try db.cachedStatement(sql: """
                UPDATE alert_cycle SET action_id = ?, execute_times = ?, last_time = ?, next_at = ?
                WHERE alert_id = ? AND relation_id = ? AND config_id = ?
                """)
            let end = try db.cachedStatement(sql: "UPDATE alert_cycle SET next_at = NULL, last_time = ? WHERE alert_id = ? AND relation_id = ? AND config_id = ?")
            let markPoll = try db.cachedStatement(sql: "UPDATE action_instance SET need_poll = 1, \(Schema.nextChange) WHERE id = ?")
            let markPolled = try db.cachedStatement(sql: "UPDATE action_instance SET is_polled = 1, need_poll = 0, \(Schema.nextChange) WHERE id = ?")
            for row in rows {
                var due = DueRepeat(alertId: row[0], relationId: row[1], configId: row[2], signal: row[3], rounds: row[4], previousActionId: row[5],
                                    alert: row[6], strategy: row[7], actionConfig: row[8], inputs: row[9])
                due.seenAt = row[10]
                due.startedAt = row[11]
                try markPolled.execute(arguments: [due.previousActionId])
                let plan: CreationStage.Plan?
                do { plan = try build(due) } catch {
                    report.failed.append("repeat of alert \(due.alertId) (relation \(due.relationId)): \(error)")
                    plan = nil
                }
                guard let plan, let family = plan.families.first(where: { $0.relationId == due.relationId && $0.action.actionConfigId == due.configId }) else {
                    try end.execute(arguments: [now, due.alertId, due.relationId, due.configId])
                    report.ended += 1
                    continue
                }
                var first: Int64
                switch try inserter.insert(family.action, now: now) {
                case .duplicate(let id): first = id
                case .stored(let id):
                    first = id
                    for var child in family.children {
                        child.parentActionId = id
                        _ = try inserter.insert(child, now: now)
                    }
                }
                report.created.append((due.previousActionId, first))
                if let after = family.repeatAfter {
                    try advance.execute(arguments: [first, due.rounds + 1, now, now + after, due.alertId, due.relationId, due.configId])
                    try markPoll.execute(arguments: [first])
                } else {
                    try advance.execute(arguments: [first, due.rounds + 1, now, nil, due.alertId, due.relationId, due.configId])
                    report.ended += 1
                }
            }
            return report
        }
    }

    /// Active repeats (for `status`): how many, and the next due time.
    package func repeatSummary() throws -> (active: Int, nextAt: Int64?) {
        try database.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*), min(next_at) FROM alert_cycle INDEXED BY alert_cycle_next WHERE next_at IS NOT NULL")
            return (row?[0] ?? 0, row?[1])
        }
    }

    /// Turns digests whose window has ended into notice rows (signal `collect`, one per way and
    /// receiver, never capped themselves). Returns the new ids.
    package func createDueDigests(now: Int64, limit: Int) throws -> [Int64] {
        try database.write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT way, receiver, due_at, count, titles, alerts, bk_biz_id FROM notice_digest INDEXED BY notice_digest_due
                WHERE due_at <= ? ORDER BY due_at LIMIT ?
                """, arguments: [now, limit])
            guard !rows.isEmpty else { return [] }
            var inserter = try RowInserter(db: db, path: database.path)
            defer { inserter.finish() }
            var ids: [Int64] = []
            for row in rows {
                let way: String = row[0], receiver: String = row[1], due: Int64 = row[2], count: Int64 = row[3]
                var d = ActionDraft(signal: "collect", pluginType: "notice")
                d.actionPlugin = JSONValue.object(["plugin_type": "notice", "plugin_key": "notice", "name": "digest"]).jsonText
                d.alerts = row[5]
                d.bkBizId = row[6]
                d.inputs = JSONValue.object([
                    "notice_way": .string(way), "notice_receiver": .string(receiver), "followed": false, "notice_type": "digest",
                    "digest": ["count": .int(count), "titles": (try? JSONParser.parse(row[4] as String)) ?? .array([]), "window_end": .int(due)],
                ]).jsonText
                d.dedupeKey = "digest|\(way)|\(receiver)|\(due)"
                if case .stored(let id) = try inserter.insert(d, now: now) { ids.append(id) }
                try db.execute(sql: "DELETE FROM notice_digest WHERE way = ? AND receiver = ?", arguments: [way, receiver])
            }
            return ids
        }
    }
}
