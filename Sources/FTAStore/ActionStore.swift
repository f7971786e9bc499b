import Foundation
import FTACore
import GRDB
import GRDBSQLite

/// The action queue: enqueue, sweep, claim with a fenced lease, record outcomes, and the
/// operator commands' reads and writes. Every method is one short transaction.
extension SQLiteStore {

    // MARK: Enqueue

    /// An action is two rows under one id: the row the pass claims and updates, and its
    /// creation-time detail (`action_detail`, ``Schema/v15(_:)``), inserted right after it.
    static let insertSQL = """
        INSERT INTO action_instance (signal, status, ex_data, create_time, update_time, is_parent_action, parent_action_id,
            assignee, execute_times, dedupe_key, due_at, next_step, deadline_at)
        VALUES (?1, 'received', '{}', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'execute', ?10)
        ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
        """
    static let insertDetailSQL = """
        INSERT INTO action_detail (id, strategy_id, strategy_relation_id, dimension_hash, alert_level, action_config_id, bk_biz_id,
            generate_uuid, strategy, dimensions, alerts, action_plugin, action_config, inputs, alert)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
        """

    /// Stores drafts in one transaction; a duplicate `dedupe_key` is reported, not stored again.
    package func insert(_ drafts: [ActionDraft], now: Int64) throws -> [InsertResult] {
        var packed = PackedActions(reservingRows: drafts.count)
        for d in drafts { packed.append(d) }
        return try insert(packed, now: now)
    }

    /// Stores packed rows in one transaction (enqueue's hot path).
    func insert(_ rows: PackedActions, now: Int64) throws -> [InsertResult] {
        try database.write { db in
            let inserter = try RowInserter(db: db, path: database.path)
            defer { inserter.finish() }
            var results: [InsertResult] = []
            results.reserveCapacity(rows.count)
            for r in 0..<rows.count { results.append(try inserter.insert(rows, row: r, now: now)) }
            return results
        }
    }

    /// Inserts rows inside a write transaction, binding through the SQLite C API: this is
    /// enqueue's hot loop. Texts are bound straight from the packed buffer without SQLite
    /// copying them; the buffer outlives each row's step, and `finish()` drops the bindings.
    struct RowInserter {
        let db: Database
        let path: String
        let stmt: OpaquePointer
        let detail: OpaquePointer
        let connection: OpaquePointer?
        /// One-row scratch for callers that insert drafts one at a time.
        var scratch = PackedActions(reservingRows: 1, bytesPerRow: 4096)

        /// Where each text of a ``PackedActions`` row is bound, in its order: the parameter
        /// number in `insertSQL` (positive) or in `insertDetailSQL` (negative).
        static let textParameters: [Int32] = [1, -9, -10, -4, -11, -12, -13, -7, 6, -14, -8, -15, 8]

        init(db: Database, path: String) throws {
            self.db = db
            self.path = path
            stmt = try db.cachedStatement(sql: SQLiteStore.insertSQL).sqliteStatement
            detail = try db.cachedStatement(sql: SQLiteStore.insertDetailSQL).sqliteStatement
            connection = db.sqliteConnection
        }

        /// Bindings point into caller memory: never leave them behind, error or not.
        func finish() {
            for s in [stmt, detail] {
                sqlite3_reset(s)
                sqlite3_clear_bindings(s)
            }
        }

        mutating func insert(_ d: ActionDraft, now: Int64) throws -> InsertResult {
            scratch.removeAll()
            scratch.append(d)
            let rows = scratch
            defer { sqlite3_clear_bindings(stmt); sqlite3_clear_bindings(detail) }
            return try insert(rows, row: 0, now: now)
        }

        func insert(_ rows: PackedActions, row r: Int, now: Int64) throws -> InsertResult {
            let stmt = self.stmt, detail = self.detail
            let n = rows.numbers[r]
            let due = n.dueAt ?? now
            let deadline = max(now, due) + n.timeout
            sqlite3_reset(stmt)
            sqlite3_reset(detail)
            sqlite3_bind_int64(stmt, 2, now)
            sqlite3_bind_int64(stmt, 3, now)
            sqlite3_bind_int64(stmt, 4, n.isParentAction ? 1 : 0)
            sqlite3_bind_int64(stmt, 5, n.parentActionId)
            sqlite3_bind_int64(stmt, 7, n.executeTimes)
            sqlite3_bind_int64(stmt, 9, due)
            sqlite3_bind_int64(stmt, 10, deadline)
            sqlite3_bind_int64(detail, 2, n.strategyId)
            sqlite3_bind_int64(detail, 3, n.strategyRelationId)
            sqlite3_bind_int64(detail, 5, n.alertLevel)
            sqlite3_bind_int64(detail, 6, n.actionConfigId)
            var id: Int64?
            let rc: Int32 = rows.bytes.withUnsafeBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { base in
                    for (k, number) in RowInserter.textParameters.enumerated() {
                        let (target, index) = number > 0 ? (stmt, number) : (detail, -number)
                        let span = rows.range(row: r, text: k)
                        if k == PackedActions.textsPerRow - 1 && !n.hasDedupeKey {
                            sqlite3_bind_null(target, index)
                        } else if let start = base.baseAddress, !span.isEmpty {
                            sqlite3_bind_text(target, index, start + span.lowerBound, Int32(span.count), nil)
                        } else {
                            sqlite3_bind_text(target, index, "", 0, nil)
                        }
                    }
                    let rc = sqlite3_step(stmt)
                    guard rc == SQLITE_DONE, sqlite3_changes(connection) > 0 else { return rc }
                    let rowid = sqlite3_last_insert_rowid(connection)
                    id = rowid
                    sqlite3_bind_int64(detail, 1, rowid)
                    return sqlite3_step(detail)
                }
            }
            guard rc == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(connection)))
            }
            if let id {
                if n.needsApproval {
                    // Waiting for approval: the ticket's 30 minutes plus a margin, then the
                    // action's own timeout once approved.
                    try db.execute(sql: "UPDATE action_instance SET status = 'waiting', next_step = 'approve', deadline_at = ?, \(Schema.nextChange) WHERE id = ?",
                                   arguments: [max(now, due) + ApprovalWindow.withMargin, id])
                }
                return .stored(id)
            }
            if let key = rows.dedupeKey(row: r),
               let existing = try Int64.fetchOne(db, sql: "SELECT id FROM action_instance WHERE dedupe_key = ?", arguments: [key]) {
                return .duplicate(existing)
            }
            throw FTAError.environment("database \(path): insert was ignored without a duplicate key")
        }
    }

    // MARK: Sweep

    /// Fails live rows past their deadline (never a terminal row) and forgets expired de-dupe keys.
    package func sweep(now: Int64) throws -> SweepReport {
        try database.write { db in
            var report = SweepReport()
            // A scan of the live rows' index entries (deadline_at is in the index); rows are read
            // only for the ones past their deadline.
            let due = try Int64.fetchAll(db, sql: SQLiteStore.overdueSQL, arguments: [now])
            var rows: [Row] = []
            for id in due {
                if let row = try Row.fetchOne(db, sql: """
                    SELECT id, create_time, deadline_at, ex_data FROM action_instance
                    WHERE id = ? AND status IN (\(SQLiteStore.proceedList))
                    """, arguments: [id]) { rows.append(row) }
            }
            let update = try db.cachedStatement(sql: """
                UPDATE action_instance SET status = 'failure', failure_type = 'timeout', end_time = ?, update_time = ?,
                    ex_data = ?, due_at = NULL, lease_owner = NULL, lease_expires_at = NULL, lease_token = lease_token + 1,
                    \(Schema.nextChange)
                WHERE id = ? AND due_at IS NOT NULL AND status IN (\(SQLiteStore.proceedList))
                """)
            let log = try db.cachedStatement(sql: "INSERT INTO action_log (time, action_id, step, level, message) VALUES (?, ?, 'sweep', 40, ?)")
            for row in rows {
                let id: Int64 = row["id"]
                let created: Int64 = row["create_time"]
                let deadline: Int64 = row["deadline_at"]
                let minutes = max(0, deadline - created) / 60
                let message = "execution exceeded the max duration of \(minutes) minutes (execute_config.timeout); treated as failure"
                let exData = ((try? JSONParser.parse(row["ex_data"] as String)) ?? .emptyObject).setting("message", .string(message))
                try update.execute(arguments: [now, now, exData.jsonText, id])
                if db.changesCount > 0 {
                    report.timedOut.append(id)
                    try log.execute(arguments: [now, id, message])
                }
            }
            // Expired once-per-window send keys (voice de-dupe) go with the same transaction.
            try db.execute(sql: "DELETE FROM notice_dedupe WHERE expires_at <= ?", arguments: [now])
            try db.execute(sql: "DELETE FROM notice_quota WHERE expires_at <= ?", arguments: [now])
            return report
        }
    }

    /// Live rows past their deadline: read from the live-row index alone.
    static let overdueSQL = """
        SELECT id FROM action_instance INDEXED BY action_instance_due WHERE due_at IS NOT NULL AND deadline_at <= ?
        """

    /// The due rows that no live lease holds, oldest first, from the live-row index (what every
    /// pass runs first), with everything a pass needs of them, when each came due (for a row
    /// whose lease ran out: the expiry, if later) and the lease holder the claim overwrites (a
    /// dead pass's).
    /// The detail (`d.`) is joined by id (a look-up in its table per row); a row without one,
    /// which no fta command writes, reads as NULLs, taken as empty texts and zeros, and fails on
    /// its config.
    static let dueSQL = """
        SELECT a.id, lease_token, next_step, signal, status, d.strategy_id, d.bk_biz_id, d.alert_level,
            execute_times, create_time, deadline_at, is_parent_action, parent_action_id, d.action_config_id,
            d.generate_uuid, d.strategy, d.dimensions, d.alerts, d.alert, d.action_plugin, d.action_config, d.inputs, outputs,
            ex_data, assignee, json_extract(d.action_plugin, '$.plugin_type'), max(due_at, coalesce(lease_expires_at, due_at)), lease_owner
        FROM action_instance a INDEXED BY action_instance_due LEFT JOIN action_detail d ON d.id = a.id
        WHERE due_at IS NOT NULL AND due_at <= ?1 AND \(unleased) ORDER BY due_at LIMIT ?2
        """

    /// No live lease holds the row at `?1` (a claim keeps `due_at`, so a due row may be leased).
    static let unleased = "(lease_expires_at IS NULL OR lease_expires_at <= ?1)"

    /// Leases the rows ``dueSQL`` returned, by id (a JSON array of them), in the same transaction.
    static let claimSQL = """
        UPDATE action_instance SET lease_owner = ?, lease_expires_at = ?, lease_token = lease_token + 1
        WHERE id IN (SELECT value FROM json_each(?)) AND due_at IS NOT NULL
        """

    /// SQLite's plan for `sql` (`EXPLAIN QUERY PLAN` details), for checking index use.
    func queryPlan(_ sql: String, arguments: StatementArguments) throws -> [String] {
        try database.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
        }
    }

    static let proceedList = ActionStatus.proceed.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")

    // MARK: Claim

    /// Claims up to `limit` due rows for `owner`: sets the lease and bumps the fencing token.
    /// `due_at` stays (its index entry is not moved: a third of a claim's cost); a claim skips
    /// rows whose lease has not run out, so a row whose worker died is taken again exactly when
    /// its lease does (docs/decisions.md, "A claim is a lease with a fencing token").
    package func claimDue(limit: Int, now: Double, lease: Int64, owner: String) throws -> [ClaimedAction] {
        let expiry = now + Double(lease)
        return try database.write { db in
            // Two statements for the whole batch: the due rows with their columns, then one
            // UPDATE of those rows by id. (A SELECT and an UPDATE per row cost a fifth of a
            // webhook's instructions; an UPDATE … RETURNING of the columns copied every row
            // through a temporary table, about a quarter of the claim.)
            var claimed: [ClaimedAction] = []
            claimed.reserveCapacity(min(limit, 1024))
            // Stepped through the C API: GRDB's row cursor and its String conversion (strlen,
            // then a copy) were a quarter of the claim's instructions (BENCHMARKS.md, "Throughput").
            let due = try db.cachedStatement(sql: SQLiteStore.dueSQL).sqliteStatement
            defer { sqlite3_reset(due); sqlite3_clear_bindings(due) }
            sqlite3_reset(due)
            sqlite3_bind_double(due, 1, now)
            sqlite3_bind_int64(due, 2, Int64(limit))
            // Rows of one storm share most of their JSON columns (a notice's children, the
            // webhooks of one config): a text equal to the previous row's is that row's String.
            var repeated = RepeatedColumnText(firstColumn: 15, count: 10)
            while try stepRow(due, on: db.sqliteConnection) {
                var a = ClaimedAction(id: sqlite3_column_int64(due, 0), leaseToken: sqlite3_column_int64(due, 1) + 1)
                a.nextStep = columnText(due, 2)
                a.signal = columnText(due, 3)
                a.status = ActionStatus(rawValue: columnText(due, 4)) ?? .received
                a.strategyId = sqlite3_column_int64(due, 5)
                a.bkBizId = columnText(due, 6)
                a.alertLevel = sqlite3_column_int64(due, 7)
                a.executeTimes = sqlite3_column_int64(due, 8)
                a.createTime = sqlite3_column_int64(due, 9)
                a.deadlineAt = sqlite3_column_type(due, 10) == SQLITE_NULL ? nil : sqlite3_column_int64(due, 10)
                a.isParentAction = sqlite3_column_int64(due, 11) != 0
                a.parentActionId = sqlite3_column_int64(due, 12)
                a.actionConfigId = sqlite3_column_int64(due, 13)
                a.generateUUID = columnText(due, 14)
                a.text.strategy = repeated.text(due, 15)
                a.text.dimensions = repeated.text(due, 16)
                a.text.alerts = repeated.text(due, 17)
                a.text.alert = repeated.text(due, 18)
                a.text.actionPlugin = repeated.text(due, 19)
                a.text.actionConfig = repeated.text(due, 20)
                a.text.inputs = repeated.text(due, 21)
                a.text.outputs = repeated.text(due, 22)
                a.text.exData = repeated.text(due, 23)
                a.text.assignee = repeated.text(due, 24)
                a.pluginType = columnText(due, 25)
                a.cameDueAt = sqlite3_column_double(due, 26)
                a.leaseWasExpired = sqlite3_column_type(due, 27) != SQLITE_NULL
                claimed.append(a)
            }
            guard !claimed.isEmpty else { return [] }
            let ids = "[" + claimed.map { String($0.id) }.joined(separator: ",") + "]"
            try db.cachedStatement(sql: SQLiteStore.claimSQL).execute(arguments: [owner, expiry, ids])
            // One write transaction: every row read is still there to lease.
            guard db.changesCount == claimed.count else {
                throw FTAError.environment("database \(database.path): the claim leased \(db.changesCount) rows, expected \(claimed.count)")
            }
            return claimed
        }
    }

    // MARK: Record

    /// Writes outcomes in one transaction. Each write is fenced by the claim's token: an
    /// update whose lease was taken over (or whose row the sweep finished) changes nothing
    /// and its id is returned as lost.
    package func record(_ updates: [ActionUpdate], now: Int64) throws -> [Int64] {
        guard !updates.isEmpty else { return [] }
        return try database.write { db in
            // The change number is bound (?13): the batch's first is read once from the change
            // index and the rest follow it, instead of a sub-query per row (about 3,000 of an
            // outcome's 43,000 SQLite instructions, BENCHMARKS.md "Sixth round"). This is the one
            // writer, inside its transaction, so the numbers still follow commit order; after a
            // statement that numbers its own change (Schema.nextChange) the next is read again.
            func updateSQL(outputs: String) -> String {
                """
                UPDATE action_instance SET status = ?1, failure_type = ?2, ex_data = ?3, outputs = \(outputs), end_time = ?5,
                    due_at = ?6, next_step = ?7, execute_times = ?8, update_time = ?9, lease_owner = NULL, lease_expires_at = NULL,
                    deadline_at = coalesce(?10, deadline_at), change_seq = ?13
                WHERE id = ?11 AND lease_token = ?12 AND due_at IS NOT NULL
                """
            }
            let next = try db.cachedStatement(sql: "SELECT \(Schema.nextChangeValue)").sqliteStatement
            func nextChange() throws -> Int64 {
                defer { sqlite3_reset(next) }
                sqlite3_reset(next)
                _ = try stepRow(next, on: db.sqliteConnection)
                return sqlite3_column_int64(next, 0)
            }
            var change = try nextChange()
            let update = try db.cachedStatement(sql: updateSQL(outputs: "?4"))
            let log = try db.cachedStatement(sql: "INSERT INTO action_log (time, action_id, step, level, message) VALUES (?, ?, ?, ?, ?)")
            // Bound through the C API (GRDB's argument arrays cost a quarter of the record).
            let plainStmt = update.sqliteStatement, logStmt = log.sqliteStatement, connection = db.sqliteConnection
            // For an action whose execution notices write into its outputs: what they wrote
            // while this step ran stays.
            var keepingStmt: OpaquePointer?
            func keeping() throws -> OpaquePointer {
                if let k = keepingStmt { return k }
                let k = try db.cachedStatement(sql: updateSQL(outputs: """
                    CASE WHEN json_valid(outputs) AND json_type(outputs, '$.execute_notify_result') = 'object' AND json_valid(?4)
                         THEN json_set(?4, '$.execute_notify_result', json(json_extract(outputs, '$.execute_notify_result'))) ELSE ?4 END
                    """)).sqliteStatement
                keepingStmt = k
                return k
            }
            func step(_ s: OpaquePointer) throws { _ = try stepRow(s, on: connection) }
            defer {
                sqlite3_reset(plainStmt); sqlite3_clear_bindings(plainStmt)
                if let k = keepingStmt { sqlite3_reset(k); sqlite3_clear_bindings(k) }
                sqlite3_reset(logStmt); sqlite3_clear_bindings(logStmt)
            }
            var lost: [Int64] = []
            var parents = Set<Int64>()
            var inserter: RowInserter?
            defer { inserter?.finish() }
            for u in updates {
                let stmt = u.keepNotifyResult ? try keeping() : plainStmt
                sqlite3_reset(stmt)
                bindText(stmt, 1, u.status.rawValue)
                bindText(stmt, 2, u.failureType)
                bindText(stmt, 3, u.exDataText)
                bindText(stmt, 4, u.outputsText)
                bindInt(stmt, 5, u.endTime)
                if let due = u.dueAt { sqlite3_bind_double(stmt, 6, due) } else { sqlite3_bind_null(stmt, 6) }
                bindText(stmt, 7, u.nextStep)
                sqlite3_bind_int64(stmt, 8, u.executeTimes)
                sqlite3_bind_int64(stmt, 9, now)
                bindInt(stmt, 10, u.deadlineAt)
                sqlite3_bind_int64(stmt, 11, u.id)
                sqlite3_bind_int64(stmt, 12, u.leaseToken)
                sqlite3_bind_int64(stmt, 13, change)
                try step(stmt)
                if sqlite3_changes(connection) == 0 { lost.append(u.id); continue }
                change += 1
                for line in u.log {
                    sqlite3_reset(logStmt)
                    sqlite3_bind_int64(logStmt, 1, line.time)
                    sqlite3_bind_int64(logStmt, 2, line.actionId)
                    bindText(logStmt, 3, line.step)
                    sqlite3_bind_int64(logStmt, 4, Int64(line.level))
                    bindText(logStmt, 5, line.message)
                    try step(logStmt)
                }
                if !u.realStatusFor.isEmpty {
                    let stamp = try db.cachedStatement(sql: "UPDATE action_instance SET real_status = ?, update_time = ?, \(Schema.nextChange) WHERE id = ?")
                    for id in u.realStatusFor { try stamp.execute(arguments: [u.status.rawValue, now, id]) }
                    change = try nextChange()
                }
                if !u.spawn.isEmpty {
                    if inserter == nil { inserter = try RowInserter(db: db, path: database.path) }
                    for d in u.spawn { _ = try inserter!.insert(d, now: now) }
                }
                if let r = u.notifyResult, let outputs = try String.fetchOne(db, sql: "SELECT outputs FROM action_instance WHERE id = ?", arguments: [r.sourceId]) {
                    try db.execute(sql: "UPDATE action_instance SET outputs = ?, update_time = ?, \(Schema.nextChange) WHERE id = ?",
                                   arguments: [ExecutionNotice.merge(outputs: outputs, r), now, r.sourceId])
                    change = try nextChange()
                }
                if u.isParentAction { parents.insert(u.id) } else if u.parentActionId > 0 { parents.insert(u.parentActionId) }
                if u.status == .blocked, let rule = u.exData["breaker_rule"]?.intValue {
                    try db.execute(sql: "UPDATE breaker_rule SET held = held + 1 WHERE id = ?", arguments: [rule])
                }
            }
            for parent in parents { try aggregateParent(parent, db: db, now: now) }
            return lost
        }
    }

    /// Sets a finished notice parent's status from its children (``OutcomeResolver/parentStatus``).
    func aggregateParent(_ id: Int64, db: Database, now: Int64) throws {
        // Prepared once per connection (a notice flush aggregates a parent per alert) and read
        // through the C API: GRDB's argument arrays and row cursors cost more than the lookups.
        let parent = try db.cachedStatement(sql: "SELECT status FROM action_instance WHERE id = ? AND due_at IS NULL AND is_parent_action = 1").sqliteStatement
        let kids = try db.cachedStatement(sql: "SELECT status FROM action_instance INDEXED BY action_instance_parent WHERE parent_action_id = ? AND parent_action_id > 0").sqliteStatement
        defer { sqlite3_reset(parent); sqlite3_reset(kids) }
        func rows(_ stmt: OpaquePointer, _ body: (String) -> Void) throws {
            sqlite3_reset(stmt)
            sqlite3_bind_int64(stmt, 1, id)
            while try stepRow(stmt, on: db.sqliteConnection) { body(columnText(stmt, 0)) }
        }
        var current: String?
        try rows(parent) { current = $0 }
        guard let current else { return }
        var children: [ActionStatus] = []
        try rows(kids) { if let s = ActionStatus(rawValue: $0) { children.append(s) } }
        guard let status = OutcomeResolver.parentStatus(children: children), status.rawValue != current, current != ActionStatus.skipped.rawValue else { return }
        try db.cachedStatement(sql: "UPDATE action_instance SET status = ?, failure_type = ?, update_time = ?, \(Schema.nextChange) WHERE id = ?")
            .execute(arguments: [status.rawValue, status == .success ? nil : FailureType.executeError.rawValue, now, id])
    }

    /// Gives back claimed rows that were never started: their lease goes, their due time stayed.
    package func release(_ actions: [ClaimedAction]) throws {
        guard !actions.isEmpty else { return }
        try database.write { db in
            let stmt = try db.cachedStatement(sql: """
                UPDATE action_instance SET lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ? AND lease_token = ? AND due_at IS NOT NULL
                """)
            for a in actions { try stmt.execute(arguments: [a.id, a.leaseToken]) }
        }
    }

    /// Extends the leases of rows still held by this pass. Returns ids whose lease was lost.
    package func renew(_ held: [LeaseHold], until: Double) throws -> [Int64] {
        guard !held.isEmpty else { return [] }
        return try database.write { db in
            let stmt = try db.cachedStatement(sql: """
                UPDATE action_instance SET lease_expires_at = ? WHERE id = ? AND lease_token = ? AND due_at IS NOT NULL
                """)
            var lost: [Int64] = []
            for h in held {
                try stmt.execute(arguments: [until, h.id, h.token])
                if db.changesCount == 0 { lost.append(h.id) }
            }
            return lost
        }
    }

    // MARK: Operator reads

    /// Counts by status over the whole table plus the live-queue figures.
    package func queueStatus(now: Int64, includeHistory: Bool) throws -> QueueStatus {
        try database.read { db in
            var s = QueueStatus()
            let sql = includeHistory
                ? "SELECT status, count(*) FROM action_instance GROUP BY status"
                : "SELECT status, count(*) FROM action_instance INDEXED BY action_instance_due WHERE due_at IS NOT NULL GROUP BY status"
            for row in try Row.fetchAll(db, sql: sql) {
                let n: Int = row[1]
                s.byStatus[row[0]] = n
                s.total += n
            }
            // Due and not held by a live lease (a leased row keeps its due time).
            let due = "due_at IS NOT NULL AND due_at <= ?1 AND \(SQLiteStore.unleased)"
            s.dueNow = try Int.fetchOne(db, sql: "SELECT count(*) FROM action_instance WHERE \(due)", arguments: [now]) ?? 0
            s.leasedNow = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM action_instance WHERE due_at IS NOT NULL AND lease_expires_at > ?
                """, arguments: [now]) ?? 0
            s.scheduledLater = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM action_instance WHERE due_at IS NOT NULL AND due_at > ? AND lease_owner IS NULL
                """, arguments: [now]) ?? 0
            if let oldest = try Int64.fetchOne(db, sql: "SELECT min(due_at) FROM action_instance WHERE \(due)", arguments: [now]) {
                s.oldestDueAge = now - oldest
            }
            return s
        }
    }

    /// One row as JSON (every column) and its log lines, or nil when there is no such id.
    package func action(id: Int64) throws -> (row: JSONValue, log: [ActionLogLine])? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM \(Schema.fullView) WHERE id = ?", arguments: [id]) else { return nil }
            var o: [String: JSONValue] = [:]
            for (column, value) in row {
                switch value.storage {
                case .null: o[column] = .null
                case .int64(let i): o[column] = .int(i)
                case .double(let d): o[column] = .double(d)
                case .string(let s):
                    if SQLiteStore.jsonColumns.contains(column), let parsed = try? JSONParser.parse(s) {
                        o[column] = parsed
                    } else {
                        o[column] = .string(s)
                    }
                case .blob(let b): o[column] = .string("<\(b.count) bytes>")
                }
            }
            for flag in ["is_parent_action", "is_polled", "need_poll", "is_enabled", "is_deleted"] {
                if let v = o[flag]?.intValue { o[flag] = .bool(v != 0) }
            }
            let log = try Row.fetchAll(db, sql: "SELECT time, action_id, step, level, message FROM action_log WHERE action_id = ? ORDER BY id", arguments: [id])
                .map { ActionLogLine(time: $0[0], actionId: $0[1], step: $0[2], level: $0[3], message: $0[4]) }
            return (.object(o), log)
        }
    }

    static let jsonColumns: Set<String> = ["strategy", "dimensions", "alerts", "ex_data", "action_plugin", "action_config",
                                           "sub_actions", "assignee", "inputs", "outputs", "alert"]

    // MARK: Operator writes

    /// The original's manual retry: a finished row runs again from its first step now, with a
    /// fresh deadline and retry budget. Successful rows are left alone unless `includeSuccess`.
    package func retry(ids: [Int64], now: Int64, includeSuccess: Bool) throws -> [OperatorResult] {
        try database.write { db in
            var results: [OperatorResult] = []
            for id in ids {
                guard let row = try Row.fetchOne(db, sql: "SELECT status, due_at, deadline_at, create_time, due_at, outputs FROM action_instance WHERE id = ?", arguments: [id]) else {
                    results.append(.notFound(id)); continue
                }
                let status: String = row["status"]
                if let why = OperatorRules.retryRefusal(status: status, live: (row["due_at"] as Double?) != nil, includeSuccess: includeSuccess) {
                    results.append(.refused(id, why)); continue
                }
                let timeout = OperatorRules.retryTimeout(deadline: row["deadline_at"], created: row["create_time"])
                try db.execute(sql: """
                    UPDATE action_instance SET status = 'received', failure_type = NULL, end_time = NULL, due_at = ?,
                        next_step = 'execute', deadline_at = ?, outputs = ?, update_time = ?, lease_owner = NULL,
                        lease_expires_at = NULL, lease_token = lease_token + 1, \(Schema.nextChange)
                    WHERE id = ?
                    """, arguments: [now, now + timeout, OperatorRules.retryOutputs(row["outputs"]), now, id])
                try db.execute(sql: "INSERT INTO action_log (time, action_id, step, level, message) VALUES (?, ?, 'retry', 20, ?)",
                               arguments: [now, id, OperatorRules.retryLog(status: status)])
                results.append(.done(id))
            }
            return results
        }
    }

    /// Finishes live rows as `skipped` with the operator's reason; fences any worker holding them.
    package func skip(ids: [Int64], reason: String, now: Int64) throws -> [OperatorResult] {
        try database.write { db in
            var results: [OperatorResult] = []
            for id in ids {
                guard let row = try Row.fetchOne(db, sql: "SELECT status, due_at, ex_data FROM action_instance WHERE id = ?", arguments: [id]) else {
                    results.append(.notFound(id)); continue
                }
                let status: String = row["status"]
                if let why = OperatorRules.skipRefusal(status: status, live: (row["due_at"] as Double?) != nil) {
                    results.append(.refused(id, why)); continue
                }
                let exData = OperatorRules.skipExData(row["ex_data"], reason: reason)
                try db.execute(sql: """
                    UPDATE action_instance SET status = 'skipped', failure_type = NULL, end_time = ?, due_at = NULL,
                        ex_data = ?, update_time = ?, lease_owner = NULL, lease_expires_at = NULL, lease_token = lease_token + 1,
                        \(Schema.nextChange)
                    WHERE id = ?
                    """, arguments: [now, exData, now, id])
                try db.execute(sql: "INSERT INTO action_log (time, action_id, step, level, message) VALUES (?, ?, 'skip', 30, ?)",
                               arguments: [now, id, OperatorRules.skipMessage(reason: reason)])
                results.append(.done(id))
            }
            return results
        }
    }
}

/// SQLite's "copy the value now" destructor (a macro the C importer does not bring over).
let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// Binds a text (copied by SQLite) or NULL.
func bindText(_ stmt: OpaquePointer, _ index: Int32, _ value: String?) {
    guard var value else { sqlite3_bind_null(stmt, index); return }
    value.withUTF8 { bytes in
        bytes.withMemoryRebound(to: CChar.self) { chars in
            if let base = chars.baseAddress {
                sqlite3_bind_text(stmt, index, base, Int32(chars.count), SQLITE_TRANSIENT)
            } else {
                sqlite3_bind_text(stmt, index, "", 0, SQLITE_TRANSIENT)
            }
        }
    }
}

/// Steps `stmt` once: true for a row, false when it is done; SQLite's error otherwise.
func stepRow(_ stmt: OpaquePointer, on connection: OpaquePointer?) throws -> Bool {
    switch sqlite3_step(stmt) {
    case SQLITE_ROW: return true
    case SQLITE_DONE: return false
    case let rc: throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(connection)))
    }
}

/// A text column's bytes as a String (NULL reads as ""; invalid UTF-8 is repaired, as GRDB does).
func columnText(_ stmt: OpaquePointer, _ index: Int32) -> String {
    // sqlite3_column_text before sqlite3_column_bytes: the count is then of the text form.
    guard let text = sqlite3_column_text(stmt, index) else { return "" }
    return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(stmt, index))), as: UTF8.self)
}

/// Text columns read row after row, each kept as the String last read from it: a column whose
/// bytes equal the previous row's gives that String again (shared storage) instead of a new
/// allocation, UTF-8 check and copy. Lives for one statement's rows; nothing outlives it.
struct RepeatedColumnText {
    private let first: Int32
    private var last: [String]

    init(firstColumn: Int32, count: Int) {
        first = firstColumn
        last = Array(repeating: "", count: count)
    }

    /// Column `index` (in `firstColumn ..< firstColumn + count`) of the current row, as
    /// ``columnText(_:_:)`` reads it.
    mutating func text(_ stmt: OpaquePointer, _ index: Int32) -> String {
        guard let bytes = sqlite3_column_text(stmt, index) else { return "" }
        let n = Int(sqlite3_column_bytes(stmt, index))
        let slot = Int(index - first)
        // Texts of up to 15 bytes are stored inline, without an allocation to save. The previous
        // String's bytes are valid UTF-8, so equal bytes decode to exactly that String (a text
        // repaired on decoding has other bytes than its column and never matches).
        if n > 15 {
            var previous = last[slot]
            if previous.utf8.count == n, previous.withUTF8({ memcmp($0.baseAddress!, bytes, n) == 0 }) { return previous }
        }
        let text = String(decoding: UnsafeBufferPointer(start: bytes, count: n), as: UTF8.self)
        last[slot] = text
        return text
    }
}

/// Binds an integer or NULL.
func bindInt(_ stmt: OpaquePointer, _ index: Int32, _ value: Int64?) {
    if let value { sqlite3_bind_int64(stmt, index, value) } else { sqlite3_bind_null(stmt, index) }
}
