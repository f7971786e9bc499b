import Foundation
import FTACore

/// The action queue on PostgreSQL: inserts in arrays, the sweep, the claim (`FOR UPDATE SKIP
/// LOCKED`), fenced outcomes, release and renewal. Every method is one transaction and, where
/// a batch is concerned, one round trip for the whole batch.
extension PostgresStore {

    // MARK: Insert

    static let insertColumns = """
        signal, strategy_id, strategy, strategy_relation_id, dimensions, dimension_hash, alerts, alert_level, status,
        create_time, update_time, action_plugin, action_config, action_config_id, bk_biz_id, is_parent_action,
        parent_action_id, assignee, inputs, execute_times, generate_uuid, alert, dedupe_key, due_at, next_step, deadline_at
        """

    /// Inserts rows with ids taken beforehand, so that each result can be told apart: a row that
    /// is not returned had a `dedupe_key` already stored (another enqueue, perhaps on another
    /// host, won), and the stored row's id is looked up.
    func insertRows(_ rows: [ActionDraft], now: Int64) throws -> [InsertResult] {
        guard !rows.isEmpty else { return [] }
        let ids = try db.execute("SELECT nextval(pg_get_serial_sequence('action_instance', 'id')) FROM generate_series(1, $1)", [rows.count])
            .rows.compactMap { $0[0].flatMap { Int64($0) } }
        var text: [[String?]] = Array(repeating: [], count: 15)
        var nums: [[Int64?]] = Array(repeating: [], count: 9)
        var dues: [Double] = []
        var parents: [Bool] = []
        for d in rows {
            let due = d.dueAt ?? now
            let start = max(now, due)
            for (k, v) in [d.signal, d.strategy, d.dimensions, d.dimensionHash, d.alerts, d.actionPlugin, d.actionConfig,
                           d.bkBizId, d.assignee, d.inputs, d.generateUUID, d.alert].enumerated() { text[k].append(v) }
            text[12].append(d.dedupeKey)
            text[13].append(d.needsApproval ? "waiting" : "received")
            text[14].append(d.needsApproval ? "approve" : "execute")
            for (k, v) in [d.strategyId, d.strategyRelationId, d.alertLevel, d.actionConfigId, d.parentActionId, d.executeTimes].enumerated() {
                nums[k].append(v)
            }
            nums[6].append(d.needsApproval ? start + ApprovalWindow.withMargin : start + d.timeout)
            nums[7].append(now)
            dues.append(Double(due))
            parents.append(d.isParentAction)
        }
        let inserted = try db.execute("""
            INSERT INTO action_instance (id, \(PostgresStore.insertColumns))
            SELECT t.id, t.signal, t.strategy_id, t.strategy, t.relation, t.dimensions, t.dimension_hash, t.alerts, t.alert_level, t.status,
                   t.now, t.now, t.action_plugin, t.action_config, t.config_id, t.bk_biz_id, t.is_parent, t.parent_id, t.assignee,
                   t.inputs, t.execute_times, t.generate_uuid, t.alert, t.dedupe_key, t.due_at, t.next_step, t.deadline_at
            FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::bigint[],
                        $10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[], $15::boolean[], $16::bigint[], $17::text[],
                        $18::text[], $19::bigint[], $20::text[], $21::text[], $22::text[], $23::float8[], $24::text[], $25::bigint[], $26::bigint[])
                AS t(id, signal, strategy_id, strategy, relation, dimensions, dimension_hash, alerts, alert_level, status, action_plugin,
                     action_config, config_id, bk_biz_id, is_parent, parent_id, assignee, inputs, execute_times, generate_uuid, alert,
                     dedupe_key, due_at, next_step, deadline_at, now)
            ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
            RETURNING id
            """, [PGArray(ids), PGArray(text[0]), PGArray(nums[0]), PGArray(text[1]), PGArray(nums[1]), PGArray(text[2]), PGArray(text[3]),
                  PGArray(text[4]), PGArray(nums[2]), PGArray(text[13]), PGArray(text[5]), PGArray(text[6]), PGArray(nums[3]), PGArray(text[7]),
                  PGArray(parents), PGArray(nums[4]), PGArray(text[8]), PGArray(text[9]), PGArray(nums[5]), PGArray(text[10]), PGArray(text[11]),
                  PGArray(text[12]), PGArray(dues), PGArray(text[14]), PGArray(nums[6]), PGArray(nums[7])])
        let stored = Set(inserted.rows.compactMap { $0[0].flatMap { Int64($0) } })
        var missingKeys: [String] = []
        for (i, d) in rows.enumerated() where !stored.contains(ids[i]) {
            guard let key = d.dedupeKey else { throw FTAError.environment("database \(db.label): insert was ignored without a duplicate key") }
            missingKeys.append(key)
        }
        var existing: [String: Int64] = [:]
        if !missingKeys.isEmpty {
            for row in try db.execute("SELECT dedupe_key, id FROM action_instance WHERE dedupe_key = ANY($1::text[])", [PGArray(missingKeys)]).rows {
                if let k = row[0], let id = row[1].flatMap({ Int64($0) }) { existing[k] = id }
            }
        }
        return try rows.enumerated().map { i, d in
            if stored.contains(ids[i]) { return .stored(ids[i]) }
            guard let key = d.dedupeKey, let id = existing[key] else {
                throw FTAError.environment("database \(db.label): a duplicate dedupe_key vanished while it was looked up")
            }
            return .duplicate(id)
        }
    }

    package func insert(_ drafts: [ActionDraft], now: Int64) throws -> [InsertResult] {
        try write { try self.insertRows(drafts, now: now) }
    }

    package func beginBulkInsert() throws -> any BulkInsert { PGBulkInsert(store: self) }

    // MARK: Sweep

    package func sweep(now: Int64) throws -> SweepReport {
        try write {
            var report = SweepReport()
            let overdue = try db.execute("""
                SELECT id, create_time, deadline_at, ex_data FROM action_instance
                WHERE due_at IS NOT NULL AND deadline_at <= $1 AND status = ANY($2::text[])
                FOR UPDATE SKIP LOCKED
                """, [now, PGArray(ActionStatus.proceed.map(\.rawValue))])
            var ids: [Int64] = [], exData: [String] = [], messages: [String] = []
            for row in overdue.rows {
                guard let id = row[0].flatMap({ Int64($0) }), let created = row[1].flatMap({ Int64($0) }),
                      let deadline = row[2].flatMap({ Int64($0) }) else { continue }
                let minutes = max(0, deadline - created) / 60
                let message = "execution exceeded the max duration of \(minutes) minutes (execute_config.timeout); treated as failure"
                ids.append(id)
                messages.append(message)
                exData.append(((try? JSONParser.parse(row[3] ?? "{}")) ?? .emptyObject).setting("message", .string(message)).jsonText)
            }
            if !ids.isEmpty {
                let done = try db.execute("""
                    UPDATE action_instance a SET status = 'failure', failure_type = 'timeout', end_time = $1, update_time = $1,
                        ex_data = t.ex_data, due_at = NULL, lease_owner = NULL, lease_expires_at = NULL, lease_token = a.lease_token + 1
                    FROM unnest($2::bigint[], $3::text[]) AS t(id, ex_data)
                    WHERE a.id = t.id AND a.due_at IS NOT NULL
                    RETURNING a.id
                    """, [now, PGArray(ids), PGArray(exData)])
                let timedOut = Set(done.rows.compactMap { $0[0].flatMap { Int64($0) } })
                report.timedOut = ids.filter(timedOut.contains)
                let logged = ids.enumerated().filter { timedOut.contains($0.element) }
                try db.execute("""
                    INSERT INTO action_log (time, action_id, step, level, message)
                    SELECT $1, t.id, 'sweep', 40, t.message FROM unnest($2::bigint[], $3::text[]) AS t(id, message)
                    """, [now, PGArray(logged.map(\.element)), PGArray(logged.map { messages[$0.offset] })])
            }
            try db.execute("DELETE FROM notice_dedupe WHERE expires_at <= $1", [now])
            try db.execute("DELETE FROM notice_quota WHERE expires_at <= $1", [now])
            return report
        }
    }

    // MARK: Claim

    /// No live lease holds the row at time `t` (a claim keeps `due_at`, so a due row may be leased).
    static func unleased(at t: String) -> String { "(lease_expires_at IS NULL OR lease_expires_at <= \(t))" }

    /// One statement: due rows, oldest first, locked with SKIP LOCKED so passes on other hosts
    /// take other rows, and rows a live lease holds are passed over; each gets the lease and a
    /// new fencing token. `due_at` stays, so the update changes no indexed column (PostgreSQL
    /// can keep it on its page without new index entries), and a dead host's rows are taken
    /// again when their lease runs out.
    package func claimDue(limit: Int, now: Double, lease: Int64, owner: String) throws -> [ClaimedAction] {
        try write {
            let result = try db.execute("""
                WITH clock AS (SELECT \(PostgresStore.nowSQL(1)) AS t),
                due AS MATERIALIZED (
                    SELECT id, greatest(due_at, lease_expires_at) AS came_due, lease_owner FROM action_instance
                    WHERE due_at IS NOT NULL AND due_at <= (SELECT t FROM clock)
                      AND \(PostgresStore.unleased(at: "(SELECT t FROM clock)"))
                    ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                UPDATE action_instance a SET lease_owner = $3, lease_expires_at = (SELECT t FROM clock) + $4::float8,
                    lease_token = a.lease_token + 1
                FROM due WHERE a.id = due.id
                RETURNING a.id, a.lease_token, due.came_due, due.lease_owner, a.next_step, a.signal, a.status, a.strategy_id, a.bk_biz_id,
                    a.alert_level, a.execute_times, a.create_time, a.deadline_at, a.is_parent_action, a.parent_action_id,
                    a.action_config_id, a.generate_uuid, a.strategy, a.dimensions, a.alerts, a.alert, a.action_plugin, a.action_config,
                    a.inputs, a.outputs, a.ex_data, a.assignee, coalesce(a.action_plugin::jsonb ->> 'plugin_type', '')
                """, [clockParam(now), limit, owner, lease])
            var claimed: [ClaimedAction] = []
            claimed.reserveCapacity(result.count)
            for row in result.rows {
                func i(_ k: Int) -> Int64 { row[k].flatMap { Int64($0) } ?? 0 }
                var a = ClaimedAction(id: i(0), leaseToken: i(1))
                a.cameDueAt = row[2].flatMap { Double($0) } ?? 0
                a.leaseWasExpired = row[3] != nil
                a.nextStep = row[4] ?? "execute"
                a.signal = row[5] ?? ""
                a.status = ActionStatus(rawValue: row[6] ?? "") ?? .received
                a.strategyId = i(7)
                a.bkBizId = row[8] ?? ""
                a.alertLevel = i(9)
                a.executeTimes = i(10)
                a.createTime = i(11)
                a.deadlineAt = row[12].flatMap { Int64($0) }
                a.isParentAction = row[13] == "t"
                a.parentActionId = i(14)
                a.actionConfigId = i(15)
                a.generateUUID = row[16] ?? ""
                a.text.strategy = row[17] ?? "{}"
                a.text.dimensions = row[18] ?? "[]"
                a.text.alerts = row[19] ?? "[]"
                a.text.alert = row[20] ?? "{}"
                a.text.actionPlugin = row[21] ?? "{}"
                a.text.actionConfig = row[22] ?? "{}"
                a.text.inputs = row[23] ?? "{}"
                a.text.outputs = row[24] ?? "{}"
                a.text.exData = row[25] ?? "{}"
                a.text.assignee = row[26] ?? "[]"
                a.pluginType = row[27] ?? ""
                claimed.append(a)
            }
            // RETURNING follows no order: keep the claim's (oldest due first).
            return claimed.sorted { ($0.cameDueAt, $0.id) < ($1.cameDueAt, $1.id) }
        }
    }

    // MARK: Record

    /// Writes outcomes in one transaction with one fenced UPDATE for the whole batch; rows whose
    /// lease was taken over or finished change nothing and are returned as lost.
    package func record(_ updates: [ActionUpdate], now: Int64) throws -> [Int64] {
        guard !updates.isEmpty else { return [] }
        return try write {
            let applied = try db.execute("""
                UPDATE action_instance a SET status = t.status, failure_type = t.failure_type, ex_data = t.ex_data,
                    outputs = CASE WHEN t.keep AND position('"execute_notify_result"' in a.outputs) > 0
                                        AND jsonb_typeof(a.outputs::jsonb -> 'execute_notify_result') = 'object'
                                   THEN (t.outputs::jsonb || jsonb_build_object('execute_notify_result', a.outputs::jsonb -> 'execute_notify_result'))::text
                                   ELSE t.outputs END,
                    end_time = t.end_time, due_at = t.due_at, next_step = t.next_step, execute_times = t.execute_times, update_time = $1,
                    lease_owner = NULL, lease_expires_at = NULL, deadline_at = coalesce(t.deadline_at, a.deadline_at)
                FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::float8[],
                            $10::text[], $11::bigint[], $12::bigint[], $13::bool[])
                    AS t(id, token, status, failure_type, ex_data, outputs, end_time, due_at, next_step, execute_times, deadline_at, keep)
                WHERE a.id = t.id AND a.lease_token = t.token AND a.due_at IS NOT NULL
                RETURNING a.id
                """, [now, PGArray(updates.map(\.id)), PGArray(updates.map(\.leaseToken)), PGArray(updates.map(\.status.rawValue)),
                      PGArray(updates.map(\.failureType)), PGArray(updates.map(\.exDataText)), PGArray(updates.map(\.outputsText)),
                      PGArray(updates.map(\.endTime)), PGArray(updates.map(\.dueAt)), PGArray(updates.map(\.nextStep)),
                      PGArray(updates.map(\.executeTimes)), PGArray(updates.map(\.deadlineAt)), PGArray(updates.map(\.keepNotifyResult))])
            let done = Set(applied.rows.compactMap { $0[0].flatMap { Int64($0) } })
            let kept = updates.filter { done.contains($0.id) }
            let lines = kept.flatMap(\.log)
            if !lines.isEmpty {
                try db.execute("""
                    INSERT INTO action_log (time, action_id, step, level, message)
                    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::integer[], $5::text[])
                    """, [PGArray(lines.map(\.time)), PGArray(lines.map(\.actionId)), PGArray(lines.map(\.step)),
                          PGArray(lines.map { Int64($0.level) }), PGArray(lines.map(\.message))])
            }
            let stamps = kept.flatMap { u in u.realStatusFor.map { ($0, u.status.rawValue) } }
            if !stamps.isEmpty {
                try db.execute("""
                    UPDATE action_instance a SET real_status = t.status, update_time = $1
                    FROM unnest($2::bigint[], $3::text[]) AS t(id, status) WHERE a.id = t.id
                    """, [now, PGArray(stamps.map(\.0)), PGArray(stamps.map(\.1))])
            }
            let spawn = kept.flatMap(\.spawn)
            if !spawn.isEmpty { _ = try insertRows(spawn, now: now) }
            // Execution notices' results into their source actions, each under its row lock.
            for r in kept.compactMap(\.notifyResult) {
                let row = try db.execute("SELECT outputs FROM action_instance WHERE id = $1 FOR UPDATE", [r.sourceId])
                guard let outputs = row.rows.first?[0] ?? nil else { continue }
                try db.execute("UPDATE action_instance SET outputs = $1, update_time = $2 WHERE id = $3",
                               [ExecutionNotice.merge(outputs: outputs, r), now, r.sourceId])
            }
            var held: [Int64: Int64] = [:]
            for u in kept where u.status == .blocked {
                if let rule = u.exData["breaker_rule"]?.intValue { held[rule, default: 0] += 1 }
            }
            for (rule, n) in held { try db.execute("UPDATE breaker_rule SET held = held + $1 WHERE id = $2", [n, rule]) }
            var parents = Set<Int64>()
            for u in kept { if u.isParentAction { parents.insert(u.id) } else if u.parentActionId > 0 { parents.insert(u.parentActionId) } }
            for parent in parents.sorted() { try aggregateParent(parent, now: now) }
            return updates.map(\.id).filter { !done.contains($0) }
        }
    }

    /// Sets a finished notice parent's status from its children. The parent row is locked
    /// first, finished or not: children finishing on two hosts at once each update their own
    /// row before taking the lock, and the parent's own outcome is written under the same row
    /// lock, so whichever takes it last reads every child (under SQLite one writer does it all).
    func aggregateParent(_ id: Int64, now: Int64) throws {
        let parent = try db.execute("SELECT status, due_at IS NULL FROM action_instance WHERE id = $1 AND is_parent_action FOR UPDATE", [id])
        guard !parent.isEmpty, parent.bool(0, 1) == true, let current = parent.string(0, 0) else { return }
        let children = try db.execute("SELECT status FROM action_instance WHERE parent_action_id = $1 AND parent_action_id > 0", [id])
            .rows.compactMap { $0[0].flatMap(ActionStatus.init(rawValue:)) }
        guard let status = OutcomeResolver.parentStatus(children: children), status.rawValue != current, current != ActionStatus.skipped.rawValue else { return }
        try db.execute("UPDATE action_instance SET status = $1, failure_type = $2, update_time = $3 WHERE id = $4",
                       [status.rawValue, status == .success ? nil : FailureType.executeError.rawValue, now, id])
    }

    package func release(_ actions: [ClaimedAction]) throws {
        guard !actions.isEmpty else { return }
        try write {
            try db.execute("""
                UPDATE action_instance a SET lease_owner = NULL, lease_expires_at = NULL
                FROM unnest($1::bigint[], $2::bigint[]) AS t(id, token)
                WHERE a.id = t.id AND a.lease_token = t.token AND a.due_at IS NOT NULL
                """, [PGArray(actions.map(\.id)), PGArray(actions.map(\.leaseToken))])
        }
    }

    /// Extends leases to `until` from the server's clock (the same lease length from now)
    /// unless the command runs on a fixed clock.
    package func renew(_ held: [LeaseHold], until: Double) throws -> [Int64] {
        guard !held.isEmpty else { return [] }
        return try write {
            let kept = try db.execute("""
                UPDATE action_instance a SET lease_expires_at = \(serverClock ? "extract(epoch FROM clock_timestamp())::float8 + ($1::float8 - $2::float8)" : "$1::float8")
                FROM unnest($3::bigint[], $4::bigint[]) AS t(id, token)
                WHERE a.id = t.id AND a.lease_token = t.token AND a.due_at IS NOT NULL
                RETURNING a.id
                """, [until, Date().timeIntervalSince1970, PGArray(held.map(\.id)), PGArray(held.map(\.token))])
            let ok = Set(kept.rows.compactMap { $0[0].flatMap { Int64($0) } })
            return held.map(\.id).filter { !ok.contains($0) }
        }
    }

    // MARK: Waiting (lingering passes)

    package func nextDue(after now: Double) throws -> Double? {
        try read {
            try db.execute("""
                SELECT least(
                    (SELECT due_at FROM action_instance WHERE due_at IS NOT NULL
                        AND (\(PostgresStore.unleased(at: "$1::float8")) OR due_at > $1::float8)
                        ORDER BY due_at LIMIT 1),
                    (SELECT min(lease_expires_at)::float8 FROM action_instance
                        WHERE due_at IS NOT NULL AND due_at <= $1::float8 AND lease_expires_at > $1::float8),
                    (SELECT min(deadline_at)::float8 FROM action_instance WHERE due_at IS NOT NULL AND deadline_at > $1::float8),
                    (SELECT min(next_at)::float8 FROM alert_cycle WHERE next_at IS NOT NULL AND next_at > $1::float8),
                    (SELECT min(due_at)::float8 FROM notice_digest WHERE due_at > $1::float8))
                """, [now]).scalarDouble
        }
    }

    /// On PostgreSQL a trigger notifies channel `fta_queue` when actions are added or change
    /// and when breaker rules change; the mark counts the notifications this session has
    /// received (it starts listening on the first call).
    package func changeMark() throws -> Int64 {
        try read { try db.notifications(channel: "fta_queue") }
    }

    package func heartbeat(_ worker: PassWorker) throws {
        try write {
            try db.execute("""
                INSERT INTO tick_worker (worker_id, started_at, heartbeat_at, lingering, ends_by) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, ends_by = excluded.ends_by
                """, [worker.workerId, worker.startedAt, worker.heartbeatAt, worker.lingering, worker.endsBy])
            try db.execute("DELETE FROM tick_worker WHERE heartbeat_at < $1", [worker.heartbeatAt - 86_400])
        }
    }

    package func endPass(workerId: String) throws {
        try write { try db.execute("DELETE FROM tick_worker WHERE worker_id = $1", [workerId]) }
    }

    package func runningPasses(now: Int64, staleAfter: Int64) throws -> [PassWorker] {
        try read {
            try db.execute("""
                SELECT worker_id, started_at, heartbeat_at, lingering, ends_by FROM tick_worker WHERE heartbeat_at >= $1 ORDER BY started_at
                """, [now - staleAfter]).rows.map { r in
                PassWorker(workerId: r[0] ?? "", startedAt: r[1].flatMap { Int64($0) } ?? 0, heartbeatAt: r[2].flatMap { Int64($0) } ?? 0,
                           lingering: r[3] == "t", endsBy: r[4].flatMap { Int64($0) } ?? 0)
            }
        }
    }
}

/// One enqueue run's inserts on PostgreSQL: each batch one transaction of one array INSERT.
final class PGBulkInsert: BulkInsert {
    let store: PostgresStore
    init(store: PostgresStore) { self.store = store }

    func insert(_ rows: PackedActions, now: Int64) throws -> [InsertResult] {
        try store.write {
            do {
                return try self.copy(rows, now: now)
            } catch let e as PGError where e.isUniqueViolation {
                // Another enqueue stored one of the keys after they were looked up: redo the
                // batch with ON CONFLICT, which tells stored rows from duplicates row by row.
                try self.store.db.execute("ROLLBACK TO SAVEPOINT fta_copy")
                return try self.store.insertRows(PGBulkInsert.drafts(rows), now: now)
            }
        }
    }

    /// The batch through `COPY` (about three times as fast as the array `INSERT`, which cannot
    /// be told to skip duplicates): `dedupe_key`s already stored, or repeated within the batch,
    /// are answered as duplicates and left out. Leaves the savepoint `fta_copy` to roll back to.
    func copy(_ p: PackedActions, now: Int64) throws -> [InsertResult] {
        guard !p.isEmpty else { return [] }
        let db = store.db
        let ids = try db.execute("SELECT nextval(pg_get_serial_sequence('action_instance', 'id')) FROM generate_series(1, $1)", [p.count])
            .rows.compactMap { $0[0].flatMap { Int64($0) } }
        guard ids.count == p.count else { throw FTAError.environment("database \(db.label): could not take \(p.count) action ids") }
        func text(_ r: Int, _ k: Int) -> ArraySlice<UInt8> { p.bytes[p.range(row: r, text: k)] }
        var firstWithKey: [ArraySlice<UInt8>: Int] = [:]
        for r in 0..<p.count where p.numbers[r].hasDedupeKey && firstWithKey[text(r, 12)] == nil { firstWithKey[text(r, 12)] = r }
        var stored: [ArraySlice<UInt8>: Int64] = [:]
        if !firstWithKey.isEmpty {
            let keys = firstWithKey.keys.map { String(decoding: $0, as: UTF8.self) }
            for row in try db.execute("SELECT dedupe_key, id FROM action_instance WHERE dedupe_key = ANY($1::text[])", [PGArray(keys)]).rows {
                if let k = row[0], let id = row[1].flatMap({ Int64($0) }) { stored[ArraySlice(k.utf8)] = id }
            }
        }
        var results: [InsertResult] = []
        results.reserveCapacity(p.count)
        var out: [UInt8] = []
        out.reserveCapacity(p.bytes.count + p.count * 160)
        func field(_ bytes: ArraySlice<UInt8>) {
            var start = bytes.startIndex
            for i in bytes.indices {
                let escaped: UInt8
                switch bytes[i] {
                case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                default: continue
                }
                out.append(contentsOf: bytes[start..<i])
                out.append(UInt8(ascii: "\\"))
                out.append(escaped)
                start = i + 1
            }
            out.append(contentsOf: bytes[start...])
            out.append(UInt8(ascii: "\t"))
        }
        func field(_ s: String) { field(ArraySlice(s.utf8)) }
        for r in 0..<p.count {
            let n = p.numbers[r]
            if n.hasDedupeKey {
                let key = text(r, 12)
                if let id = stored[key] { results.append(.duplicate(id)); continue }
                if let first = firstWithKey[key], first != r { results.append(.duplicate(ids[first])); continue }
            }
            results.append(.stored(ids[r]))
            let due = n.dueAt ?? now
            let deadline = n.needsApproval ? max(now, due) + ApprovalWindow.withMargin : max(now, due) + n.timeout
            field(String(ids[r])); field(text(r, 0)); field(String(n.strategyId)); field(text(r, 1)); field(String(n.strategyRelationId))
            field(text(r, 2)); field(text(r, 3)); field(text(r, 4)); field(String(n.alertLevel)); field(n.needsApproval ? "waiting" : "received")
            field(String(now)); field(String(now)); field(text(r, 5)); field(text(r, 6)); field(String(n.actionConfigId)); field(text(r, 7))
            field(n.isParentAction ? "t" : "f"); field(String(n.parentActionId)); field(text(r, 8)); field(text(r, 9)); field(String(n.executeTimes))
            field(text(r, 10)); field(text(r, 11))
            if n.hasDedupeKey { field(text(r, 12)) } else { out.append(contentsOf: "\\N\t".utf8) }
            field(String(due)); field(n.needsApproval ? "approve" : "execute"); field(String(deadline))
            out[out.count - 1] = UInt8(ascii: "\n")
        }
        try db.execute("SAVEPOINT fta_copy")
        if !out.isEmpty { try db.copyIn("COPY action_instance (id, \(PostgresStore.insertColumns)) FROM STDIN", data: out) }
        return results
    }

    func finish() {}

    /// The packed rows as drafts (the array insert binds texts anyway).
    static func drafts(_ p: PackedActions) -> [ActionDraft] {
        (0..<p.count).map { r in
            func text(_ k: Int) -> String { String(decoding: p.bytes[p.range(row: r, text: k)], as: UTF8.self) }
            let n = p.numbers[r]
            var d = ActionDraft(signal: text(0), pluginType: "", actionPlugin: text(5))
            d.strategy = text(1); d.dimensions = text(2); d.dimensionHash = text(3); d.alerts = text(4)
            d.actionConfig = text(6); d.bkBizId = text(7); d.assignee = text(8); d.inputs = text(9); d.generateUUID = text(10); d.alert = text(11)
            d.dedupeKey = n.hasDedupeKey ? text(12) : nil
            d.strategyId = n.strategyId; d.strategyRelationId = n.strategyRelationId; d.alertLevel = n.alertLevel
            d.actionConfigId = n.actionConfigId; d.isParentAction = n.isParentAction; d.parentActionId = n.parentActionId
            d.executeTimes = n.executeTimes; d.dueAt = n.dueAt; d.timeout = n.timeout; d.needsApproval = n.needsApproval
            return d
        }
    }
}
