import FTACore

/// `status`, `show`, `retry`, `skip` on PostgreSQL. Operator writes lock the row they change,
/// so a retry or a skip and a pass recording an outcome for the same row happen one after the
/// other; the lease token each bumps fences the pass's late write.
extension PostgresStore {

    package func queueStatus(now: Int64, includeHistory: Bool) throws -> QueueStatus {
        try read {
            var s = QueueStatus()
            let sql = includeHistory
                ? "SELECT status, count(*) FROM action_instance GROUP BY status"
                : "SELECT status, count(*) FROM action_instance WHERE due_at IS NOT NULL GROUP BY status"
            for row in try db.execute(sql).rows {
                let n = row[1].flatMap { Int($0) } ?? 0
                s.byStatus[row[0] ?? ""] = n
                s.total += n
            }
            let t = Double(now)
            let live = try db.execute("""
                SELECT count(*) FILTER (WHERE due_at <= $1 AND \(PostgresStore.unleased(at: "$1"))),
                       count(*) FILTER (WHERE lease_expires_at > $1),
                       count(*) FILTER (WHERE due_at > $1 AND lease_owner IS NULL),
                       min(due_at) FILTER (WHERE due_at <= $1 AND \(PostgresStore.unleased(at: "$1")))
                FROM action_instance WHERE due_at IS NOT NULL
                """, [t])
            s.dueNow = Int(live.int(0, 0) ?? 0)
            s.leasedNow = Int(live.int(0, 1) ?? 0)
            s.scheduledLater = Int(live.int(0, 2) ?? 0)
            if let oldest = live.double(0, 3) { s.oldestDueAge = now - Int64(oldest) }
            return s
        }
    }

    static let jsonColumns: Set<String> = ["strategy", "dimensions", "alerts", "ex_data", "action_plugin", "action_config",
                                           "sub_actions", "assignee", "inputs", "outputs", "alert"]

    package func action(id: Int64) throws -> (row: JSONValue, log: [ActionLogLine])? {
        try read {
            let r = try db.execute("SELECT * FROM action_instance WHERE id = $1", [id])
            guard !r.isEmpty else { return nil }
            var o: [String: JSONValue] = [:]
            // `change_xid` is the export feed's bookkeeping; `show` lists the columns both backends have.
            for (i, column) in r.columns.enumerated() where column != "change_xid" {
                guard let text = r.rows[0][i] else { o[column] = .null; continue }
                switch r.types[i] {
                case 16: o[column] = .bool(text == "t")
                case 20, 21, 23: o[column] = Int64(text).map { .int($0) } ?? .string(text)
                case 700, 701:
                    let d = Double(text) ?? 0
                    o[column] = d.rounded() == d && abs(d) < 1e15 ? .int(Int64(d)) : .double(d)
                default:
                    if PostgresStore.jsonColumns.contains(column), let parsed = try? JSONParser.parse(text) { o[column] = parsed } else { o[column] = .string(text) }
                }
            }
            let log = try db.execute("SELECT time, action_id, step, level, message FROM action_log WHERE action_id = $1 ORDER BY id", [id]).rows.map {
                ActionLogLine(time: $0[0].flatMap { Int64($0) } ?? 0, actionId: $0[1].flatMap { Int64($0) } ?? 0, step: $0[2] ?? "",
                              level: $0[3].flatMap { Int($0) } ?? 20, message: $0[4] ?? "")
            }
            return (.object(o), log)
        }
    }

    package func retry(ids: [Int64], now: Int64, includeSuccess: Bool) throws -> [OperatorResult] {
        try write {
            var results: [OperatorResult] = []
            for id in ids {
                let r = try db.execute("SELECT status, due_at, deadline_at, create_time, outputs FROM action_instance WHERE id = $1 FOR UPDATE", [id])
                guard !r.isEmpty else { results.append(.notFound(id)); continue }
                let status = r.string(0, 0) ?? ""
                if let why = OperatorRules.retryRefusal(status: status, live: r.string(0, 1) != nil, includeSuccess: includeSuccess) {
                    results.append(.refused(id, why)); continue
                }
                let timeout = OperatorRules.retryTimeout(deadline: r.int(0, 2), created: r.int(0, 3) ?? 0)
                try db.execute("""
                    UPDATE action_instance SET status = 'received', failure_type = NULL, end_time = NULL, due_at = $1,
                        next_step = 'execute', deadline_at = $2, outputs = $3, update_time = $4, lease_owner = NULL,
                        lease_expires_at = NULL, lease_token = lease_token + 1
                    WHERE id = $5
                    """, [Double(now), now + timeout, OperatorRules.retryOutputs(r.string(0, 4) ?? "{}"), now, id])
                try db.execute("INSERT INTO action_log (time, action_id, step, level, message) VALUES ($1, $2, 'retry', 20, $3)",
                               [now, id, OperatorRules.retryLog(status: status)])
                results.append(.done(id))
            }
            return results
        }
    }

    package func skip(ids: [Int64], reason: String, now: Int64) throws -> [OperatorResult] {
        try write {
            var results: [OperatorResult] = []
            for id in ids {
                let r = try db.execute("SELECT status, due_at, ex_data FROM action_instance WHERE id = $1 FOR UPDATE", [id])
                guard !r.isEmpty else { results.append(.notFound(id)); continue }
                let status = r.string(0, 0) ?? ""
                if let why = OperatorRules.skipRefusal(status: status, live: r.string(0, 1) != nil) {
                    results.append(.refused(id, why)); continue
                }
                let exData = OperatorRules.skipExData(r.string(0, 2) ?? "{}", reason: reason)
                try db.execute("""
                    UPDATE action_instance SET status = 'skipped', failure_type = NULL, end_time = $1, due_at = NULL,
                        ex_data = $2, update_time = $1, lease_owner = NULL, lease_expires_at = NULL, lease_token = lease_token + 1
                    WHERE id = $3
                    """, [now, exData, id])
                try db.execute("INSERT INTO action_log (time, action_id, step, level, message) VALUES ($1, $2, 'skip', 30, $3)",
                               [now, id, OperatorRules.skipMessage(reason: reason)])
                results.append(.done(id))
            }
            return results
        }
    }

    /// Sessions that have been idle inside a transaction for more than `seconds`: they hold
    /// row locks and keep vacuum and the export's watermark back (`fta-tick status` warns).
    package func idleTransactions(olderThan seconds: Int) throws -> [String] {
        try read {
            try db.execute("""
                SELECT pid, coalesce(application_name, ''), extract(epoch FROM now() - xact_start)::bigint FROM pg_stat_activity
                WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND now() - xact_start > make_interval(secs => $1)
                ORDER BY xact_start
                """, [seconds]).rows.map { "pid \($0[0] ?? "?") (\($0[1] ?? "")) idle in a transaction for \($0[2] ?? "?") s" }
        }
    }
}
