import FTACore
import GRDB

/// Convergence state (`converge_instance`, `converge_relation`, `converge_dimension`) and the
/// converge step a pass runs on claimed actions before they execute (original-system.md §6.1). One write
/// transaction per batch: two overlapping passes meet on it (and on the unique open dimension),
/// so they cannot both create an instance for one dimension; a pass killed inside it leaves
/// nothing behind, and its claims are run again when their lease expires.
extension SQLiteStore {

    package func converge(_ actions: [ClaimedAction], now: Int64, notices: NoticeConvergence) throws -> [Int64: ConvergeResult] {
        try database.write { db in
            var out: [Int64: ConvergeResult] = [:]
            // Dimension records live as long as any window can reach back (the original's
            // sorted sets expired too).
            try db.execute(sql: "DELETE FROM converge_dimension WHERE create_time < ?", arguments: [now - ConvergeRules.dimensionTTL])
            let ordered = actions.sorted(by: { ($0.createTime, $0.id) < ($1.createTime, $1.id) })
            // Every action's dimension values first, as the original records them when actions
            // are created: the count that opens an instance sees the whole batch.
            var prepared: [(ClaimedAction, ConvergeRules.Preparation)] = []
            for a in ordered {
                let p = ConvergeRules.prepare(a, now: now, notices: notices)
                if case .ready(_, let dimension) = p {
                    try db.execute(sql: "INSERT OR IGNORE INTO converge_dimension (dimension, action_id, create_time) VALUES (?, ?, ?)",
                                   arguments: [dimension, a.id, a.createTime])
                }
                prepared.append((a, p))
            }
            for (a, p) in prepared {
                switch p {
                case .done(let r): out[a.id] = r
                case .ready(let config, let dimension): out[a.id] = try converge(db, a, config: config, dimension: dimension, now: now)
                }
            }
            return out
        }
    }

    func converge(_ db: Database, _ a: ClaimedAction, config: ConvergeConfig, dimension: String, now: Int64) throws -> ConvergeResult {
        let start = a.createTime - config.maxTimedelta, end = a.createTime + config.maxTimedelta

        // The instance this action already belongs to (a sleeper checking again), or the open one.
        var instance: (id: Int64, primary: Bool)?
        if let row = try Row.fetchOne(db, sql: """
            SELECT r.converge_id, r.is_primary FROM converge_relation r JOIN converge_instance i ON i.id = r.converge_id
            WHERE r.related_id = ? AND r.related_type = 'action'
            """, arguments: [a.id]) {
            instance = (row[0], row[1])
        } else if let row = try Row.fetchOne(db, sql: "SELECT id, create_time FROM converge_instance WHERE dimension = ?", arguments: [dimension]) {
            let id: Int64 = row[0], created: Int64 = row[1]
            if created < start {
                // Too old for this action's window: ended, and its dimension freed.
                try db.execute(sql: "UPDATE converge_instance SET end_time = coalesce(end_time, ?), dimension = dimension || ' fixed at ' || ? || ' #' || id WHERE id = ?",
                               arguments: [now, now, id])
            } else {
                instance = (id, false)
            }
        }
        if instance == nil {
            let matched = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM converge_dimension d WHERE d.dimension = ? AND d.create_time BETWEEN ? AND ?
                AND NOT EXISTS (SELECT 1 FROM converge_relation r WHERE r.related_id = d.action_id AND r.related_type = 'action')
                """, arguments: [dimension, start, end]) ?? 0
            guard matched >= max(1, config.count) else {
                return ConvergeResult(decision: .execute, convergeId: nil, message: "not converged: \(matched) of \(config.count) actions in the window")
            }
            try db.execute(sql: """
                INSERT INTO converge_instance (dimension, converge_config, converge_func, converge_type, bk_biz_id, description, create_time)
                VALUES (?, ?, ?, 'action', ?, ?, ?)
                """, arguments: [dimension, config.raw.jsonText, config.function, a.bkBizId, config.description, now])
            instance = (db.lastInsertedRowID, true)
        }
        let (id, isNew) = instance!
        let executed = try String.fetchAll(db, sql: """
            SELECT a.status FROM converge_relation r JOIN action_instance a ON a.id = r.related_id
            WHERE r.converge_id = ? AND r.related_type = 'action' AND r.converge_status = 'executed' AND r.related_id != ?
            """, arguments: [id, a.id]).compactMap { ActionStatus(rawValue: $0) }
        var foldedIntoBusiness = false
        if config.function == "collect" || config.function == "collect_alarm" {
            if isNew {
                try createCollect(db, for: a, instance: id, type: "action", description: config.description, now: now)
                if let sub = config.sub { foldedIntoBusiness = try businessStage(db, a, instance: id, sub: sub, now: now) }
            } else {
                foldedIntoBusiness = try Bool.fetchOne(db, sql: "SELECT 1 FROM converge_relation WHERE related_id = ? AND related_type = 'converge'", arguments: [id]) ?? false
            }
        }
        let decision = ConvergeRules.decide(config.function, isNew: isNew, executed: executed, count: config.count, foldedIntoBusiness: foldedIntoBusiness)
        try db.execute(sql: """
            INSERT INTO converge_relation (converge_id, related_id, related_type, is_primary, converge_status, alerts)
            VALUES (?, ?, 'action', ?, ?, ?)
            ON CONFLICT (converge_id, related_id, related_type) DO UPDATE SET converge_status = excluded.converge_status
            """, arguments: [id, a.id, isNew, decision == .execute ? "executed" : "skipped", a.text.alerts])
        return ConvergeResult(decision: decision, convergeId: id, message: ConvergeRules.message(instance: id, config: config, decision: decision))
    }

    /// The summary action of a new instance (original-system.md §3.8): it sleeps ``collectDelay`` seconds,
    /// then sends one notice covering the instance's skipped actions.
    func createCollect(_ db: Database, for a: ClaimedAction, instance: Int64, type: String, description: String, now: Int64) throws {
        let inputs = a.json(\.inputs)
        var actionConfig = a.json(\.actionConfig).objectValue ?? [:]
        actionConfig["name"] = .string((type == "converge" ? "[business summary notice]" : "[summary notice]") + (actionConfig["name"]?.scalarText ?? "notice"))
        let collectInputs: JSONValue = ["converge_id": .int(instance), "converge_type": .string(type),
                                        "notice_way": inputs["notice_way"] ?? .null, "notice_receiver": inputs["notice_receiver"] ?? .null,
                                        "converge_description": .string(description)]
        try db.execute(sql: """
            INSERT INTO action_instance (signal, status, create_time, update_time, due_at, next_step, deadline_at)
            VALUES ('collect', 'sleep', ?, ?, ?, 'collect', ?)
            """, arguments: [now, now, now + ConvergeRules.collectDelay, now + ConvergeRules.collectDelay + 600])
        try db.execute(sql: """
            INSERT INTO action_detail (id, strategy_id, alert_level, action_config_id, bk_biz_id, action_plugin, action_config, inputs)
            VALUES (?, 0, ?, ?, ?, ?, ?, ?)
            """, arguments: [db.lastInsertedRowID, a.alertLevel, a.actionConfigId, a.bkBizId,
                             JSONValue.object(["plugin_type": "collect", "plugin_key": "notice", "name": "summary notice"]).jsonText,
                             JSONValue.object(actionConfig).jsonText, collectInputs.jsonText])
    }

    /// The business-level second stage for a new instance: it records its business dimension and,
    /// once `sub.count` instances of that dimension opened within `sub.timedelta`, folds them into
    /// one business instance with its own summary. Returns whether the instance was folded.
    func businessStage(_ db: Database, _ a: ClaimedAction, instance: Int64, sub: ConvergeConfig.Sub, now: Int64) throws -> Bool {
        let key = sub.dimension(for: ConvergeConfig.context(of: a))
        try db.execute(sql: "UPDATE converge_instance SET biz_dimension = ? WHERE id = ?", arguments: [key, instance])
        let recent = try Int64.fetchAll(db, sql: """
            SELECT id FROM converge_instance WHERE biz_dimension = ? AND converge_type = 'action' AND end_time IS NULL AND create_time >= ?
            """, arguments: [key, now - sub.timedelta])
        guard recent.count >= sub.count else { return false }
        var biz = try Int64.fetchOne(db, sql: "SELECT id FROM converge_instance WHERE dimension = ?", arguments: [key])
        if biz == nil {
            let description = "within \(sub.timedelta) s, \(sub.count) or more strategies notified the same receiver: one business summary"
            try db.execute(sql: """
                INSERT INTO converge_instance (dimension, converge_func, converge_type, bk_biz_id, description, create_time)
                VALUES (?, 'collect_alarm', 'converge', ?, ?, ?)
                """, arguments: [key, a.bkBizId, description, now])
            biz = db.lastInsertedRowID
            try createCollect(db, for: a, instance: biz!, type: "converge", description: description, now: now)
        }
        for id in recent {
            try db.execute(sql: "INSERT OR IGNORE INTO converge_relation (converge_id, related_id, related_type) VALUES (?, ?, 'converge')",
                           arguments: [biz!, id])
        }
        return true
    }

    /// Prepares summary actions (in one transaction): the instance's skipped actions are
    /// gathered, the instance ends (freeing its dimension for the next storm), and the row gets
    /// the summary's receiver, way, alerts and digest.
    package func prepareCollect(_ actions: [ClaimedAction], now: Int64) throws -> [Int64: CollectPreparation] {
        try database.write { db in
            var out: [Int64: CollectPreparation] = [:]
            for a in actions {
                let inputs = a.json(\.inputs)
                guard let cid = inputs["converge_id"]?.intValue,
                      let row = try Row.fetchOne(db, sql: "SELECT end_time, description FROM converge_instance WHERE id = ?", arguments: [cid]) else {
                    out[a.id] = .skip("summary: its converge instance is gone")
                    continue
                }
                if (row[0] as Int64?) != nil {
                    out[a.id] = .skip("summary: converge instance \(cid) already ended")
                    continue
                }
                let business = inputs["converge_type"]?.stringValue == "converge"
                if !business, let biz = try Int64.fetchOne(db, sql: "SELECT converge_id FROM converge_relation WHERE related_id = ? AND related_type = 'converge'", arguments: [cid]) {
                    out[a.id] = .skip("summary: folded into the business summary of converge instance \(biz)")
                    continue
                }
                // A business summary covers the instances folded into it.
                let instances = business ? try Int64.fetchAll(db, sql: "SELECT related_id FROM converge_relation WHERE converge_id = ? AND related_type = 'converge'", arguments: [cid]) : [cid]
                let list = instances.isEmpty ? "0" : instances.map(String.init).joined(separator: ",")
                let related = try Row.fetchAll(db, sql: """
                    SELECT a.id, d.alerts, d.alert, d.strategy FROM converge_relation r JOIN action_instance a ON a.id = r.related_id
                    JOIN action_detail d ON d.id = a.id
                    WHERE r.converge_id IN (\(list)) AND r.related_type = 'action' AND r.converge_status = 'skipped' AND a.status = 'skipped' ORDER BY a.id
                    """)
                for id in instances + (business ? [cid] : []) {
                    try db.execute(sql: "UPDATE converge_instance SET end_time = coalesce(end_time, ?), dimension = dimension || ' ended at ' || ? || ' #' || id WHERE id = ? AND end_time IS NULL",
                                   arguments: [now, now, id])
                }
                guard !related.isEmpty else {
                    out[a.id] = .skip("summary: no converged actions to cover (converge instance \(cid) ended)")
                    continue
                }
                let summary = ConvergeSummary(action: a, inputs: inputs, business: business, description: row[1], now: now, related: related.map {
                    ConvergeSummary.Related(id: $0[0], alerts: $0[1], alert: $0[2], strategy: $0[3])
                })
                // The action row first: it is fenced by the lease and takes the change's number.
                try db.execute(sql: "UPDATE action_instance SET assignee = ?, \(Schema.nextChange) WHERE id = ? AND lease_token = ?",
                               arguments: [summary.assignee, a.id, a.leaseToken])
                if db.changesCount > 0 {
                    try db.execute(sql: "UPDATE action_detail SET inputs = ?, alerts = ? WHERE id = ?", arguments: [summary.inputs, summary.alerts, a.id])
                }
                out[a.id] = .send(summary.send, related: related.map { $0[0] })
            }
            return out
        }
    }

    /// An action's converge instance and its related actions, for `fta-tick show`.
    package func convergeView(actionId: Int64) throws -> JSONValue? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT i.id, i.dimension, i.converge_func, i.description, i.create_time, i.end_time, r.is_primary, r.converge_status
                FROM converge_relation r JOIN converge_instance i ON i.id = r.converge_id WHERE r.related_id = ? AND r.related_type = 'action'
                """, arguments: [actionId]) else { return nil }
            let id: Int64 = row[0]
            let siblings = try Row.fetchAll(db, sql: """
                SELECT r.related_id, r.is_primary, r.converge_status, a.status FROM converge_relation r
                LEFT JOIN action_instance a ON a.id = r.related_id WHERE r.converge_id = ? AND r.related_type = 'action' ORDER BY r.related_id
                """, arguments: [id]).map { r -> JSONValue in
                ["id": .int(r[0]), "is_primary": .bool(r[1]), "converge_status": .string(r[2]), "status": (r[3] as String?).map { .string($0) } ?? .null]
            }
            return ["id": .int(id), "dimension": .string(row[1]), "converge_func": .string(row[2]), "description": .string(row[3]),
                    "create_time": .int(row[4]), "end_time": (row[5] as Int64?).map { .int($0) } ?? .null,
                    "is_primary": .bool(row[6]), "converge_status": .string(row[7]), "relations": .array(siblings)]
        }
    }

    /// Open converge instances.
    package func openConvergeInstances() throws -> Int {
        try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM converge_instance WHERE end_time IS NULL") ?? 0 }
    }
}
