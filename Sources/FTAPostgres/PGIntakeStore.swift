import FTACore

/// Alert events' plans, interval repeats and digests on PostgreSQL. Repeats and digests due
/// now are taken with `FOR UPDATE SKIP LOCKED`, so passes on two hosts never both create the
/// next round of one repeat or send one digest twice.
extension PostgresStore {

    package func store(_ events: [PlannedEvent], now: Int64) throws -> [PlanResult] {
        try write {
            var results: [PlanResult] = []
            for e in events {
                var r = PlanResult()
                if e.plan.stopsRepeats {
                    let ids = e.plan.alertIds.isEmpty ? [e.alertId] : e.plan.alertIds
                    r.stoppedRepeats += try db.execute("""
                        UPDATE alert_cycle SET next_at = NULL, last_time = $1 WHERE alert_id = ANY($2::text[]) AND next_at IS NOT NULL
                        """, [now, PGArray(ids)]).affected
                } else {
                    // An event that sees the alert again keeps its repeats going (``RepeatLimits``).
                    try db.execute("""
                        UPDATE alert_cycle SET seen_at = greatest(coalesce(seen_at, 0), $1) WHERE alert_id = $2 AND next_at IS NOT NULL
                        """, [e.seenAt, e.alertId])
                }
                for family in e.plan.families {
                    switch try insertRows([family.action], now: now)[0] {
                    case .duplicate(let id):
                        r.duplicates.append(id)
                    case .stored(let id):
                        r.stored.append(id)
                        let children = family.children.map { child -> ActionDraft in
                            var c = child
                            c.parentActionId = id
                            return c
                        }
                        for case .stored(let cid) in try insertRows(children, now: now) { r.stored.append(cid) }
                        if let after = family.repeatAfter {
                            let started = try db.execute("""
                                INSERT INTO alert_cycle (alert_id, relation_id, config_id, signal, action_id, execute_times, last_time, next_at, seen_at, started_at)
                                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING
                                """, [e.alertId, family.relationId, family.action.actionConfigId, e.signal, id,
                                      family.action.executeTimes + 1, now, now + after, e.seenAt, now]).affected
                            if started > 0 { try db.execute("UPDATE action_instance SET need_poll = true WHERE id = $1", [id]) }
                        }
                    }
                }
                results.append(r)
            }
            return results
        }
    }

    package func createDueRepeats(now: Int64, limit: Int, build: (DueRepeat) throws -> CreationStage.Plan?) throws -> RepeatReport {
        try write {
            let rows = try db.execute("""
                SELECT c.alert_id, c.relation_id, c.config_id, c.signal, c.execute_times, c.action_id,
                       a.alert, a.strategy, a.action_config, a.inputs, coalesce(c.seen_at, c.last_time), coalesce(c.started_at, c.last_time)
                FROM alert_cycle c JOIN action_instance a ON a.id = c.action_id
                WHERE c.next_at IS NOT NULL AND c.next_at <= $1 ORDER BY c.next_at LIMIT $2
                FOR UPDATE OF c SKIP LOCKED
                """, [now, limit]).rows
            var report = RepeatReport()
            for row in rows {
                func i(_ k: Int) -> Int64 { row[k].flatMap { Int64($0) } ?? 0 }
                var due = DueRepeat(alertId: row[0] ?? "", relationId: i(1), configId: i(2), signal: row[3] ?? "", rounds: i(4), previousActionId: i(5),
                                    alert: row[6] ?? "{}", strategy: row[7] ?? "{}", actionConfig: row[8] ?? "{}", inputs: row[9] ?? "{}")
                due.seenAt = i(10)
                due.startedAt = i(11)
                try db.execute("UPDATE action_instance SET is_polled = true, need_poll = false WHERE id = $1", [due.previousActionId])
                let plan: CreationStage.Plan?
                do { plan = try build(due) } catch {
                    report.failed.append("repeat of alert \(due.alertId) (relation \(due.relationId)): \(error)")
                    plan = nil
                }
                guard let plan, let family = plan.families.first(where: { $0.relationId == due.relationId && $0.action.actionConfigId == due.configId }) else {
                    try db.execute("UPDATE alert_cycle SET next_at = NULL, last_time = $1 WHERE alert_id = $2 AND relation_id = $3 AND config_id = $4",
                                   [now, due.alertId, due.relationId, due.configId])
                    report.ended += 1
                    continue
                }
                let first: Int64
                switch try insertRows([family.action], now: now)[0] {
                case .duplicate(let id): first = id
                case .stored(let id):
                    first = id
                    _ = try insertRows(family.children.map { c in var c = c; c.parentActionId = id; return c }, now: now)
                }
                report.created.append((due.previousActionId, first))
                let next: Int64? = family.repeatAfter.map { now + $0 }
                try db.execute("""
                    UPDATE alert_cycle SET action_id = $1, execute_times = $2, last_time = $3, next_at = $4
                    WHERE alert_id = $5 AND relation_id = $6 AND config_id = $7
                    """, [first, due.rounds + 1, now, next, due.alertId, due.relationId, due.configId])
                if next != nil {
                    try db.execute("UPDATE action_instance SET need_poll = true WHERE id = $1", [first])
                } else {
                    report.ended += 1
                }
            }
            return report
        }
    }

    package func repeatSummary() throws -> (active: Int, nextAt: Int64?) {
        try read {
            let r = try db.execute("SELECT count(*), min(next_at) FROM alert_cycle WHERE next_at IS NOT NULL")
            return (Int(r.int(0, 0) ?? 0), r.int(0, 1))
        }
    }

    package func createDueDigests(now: Int64, limit: Int) throws -> [Int64] {
        try write {
            let rows = try db.execute("""
                SELECT way, receiver, due_at, count, titles, alerts, bk_biz_id FROM notice_digest
                WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED
                """, [now, limit]).rows
            var ids: [Int64] = []
            for row in rows {
                let way = row[0] ?? "", receiver = row[1] ?? ""
                let due = row[2].flatMap { Int64($0) } ?? now, count = row[3].flatMap { Int64($0) } ?? 0
                var d = ActionDraft(signal: "collect", pluginType: "notice")
                d.actionPlugin = JSONValue.object(["plugin_type": "notice", "plugin_key": "notice", "name": "digest"]).jsonText
                d.alerts = row[5] ?? "[]"
                d.bkBizId = row[6] ?? ""
                d.inputs = JSONValue.object([
                    "notice_way": .string(way), "notice_receiver": .string(receiver), "followed": false, "notice_type": "digest",
                    "digest": ["count": .int(count), "titles": (try? JSONParser.parse(row[4] ?? "[]")) ?? .array([]), "window_end": .int(due)],
                ]).jsonText
                d.dedupeKey = "digest|\(way)|\(receiver)|\(due)"
                if case .stored(let id) = try insertRows([d], now: now)[0] { ids.append(id) }
                try db.execute("DELETE FROM notice_digest WHERE way = $1 AND receiver = $2", [way, receiver])
            }
            return ids
        }
    }
}
