import FTACore

/// Convergence on PostgreSQL. A pass first takes a transaction-scoped advisory lock for each
/// dimension of its batch (in order, so two passes cannot deadlock): passes on other hosts
/// converging the same storm then run one after the other, as SQLite's single writer makes
/// them, and the second sees the instance the first created instead of failing on the unique
/// open dimension.
extension PostgresStore {

    /// The advisory-lock key of a text (its 64-bit hash, computed by the server).
    static let lockSQL = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"

    package func converge(_ actions: [ClaimedAction], now: Int64, notices: NoticeConvergence) throws -> [Int64: ConvergeResult] {
        try write {
            var out: [Int64: ConvergeResult] = [:]
            let ordered = actions.sorted(by: { ($0.createTime, $0.id) < ($1.createTime, $1.id) })
            let prepared = ordered.map { ($0, ConvergeRules.prepare($0, now: now, notices: notices)) }
            var dimensions = Set<String>()
            for (_, p) in prepared { if case .ready(_, let d) = p { dimensions.insert(d) } }
            for d in dimensions.sorted() { try db.execute(PostgresStore.lockSQL, ["converge|" + d]) }
            try db.execute("DELETE FROM converge_dimension WHERE create_time < $1", [now - ConvergeRules.dimensionTTL])
            for (a, p) in prepared {
                if case .ready(_, let dimension) = p {
                    try db.execute("INSERT INTO converge_dimension (dimension, action_id, create_time) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                                   [dimension, a.id, a.createTime])
                }
            }
            for (a, p) in prepared {
                switch p {
                case .done(let r): out[a.id] = r
                case .ready(let config, let dimension): out[a.id] = try convergeOne(a, config: config, dimension: dimension, now: now)
                }
            }
            return out
        }
    }

    func convergeOne(_ a: ClaimedAction, config: ConvergeConfig, dimension: String, now: Int64) throws -> ConvergeResult {
        let start = a.createTime - config.maxTimedelta, end = a.createTime + config.maxTimedelta
        var instance: (id: Int64, primary: Bool)?
        let mine = try db.execute("""
            SELECT r.converge_id, r.is_primary FROM converge_relation r JOIN converge_instance i ON i.id = r.converge_id
            WHERE r.related_id = $1 AND r.related_type = 'action'
            """, [a.id])
        if !mine.isEmpty, let id = mine.int(0, 0) {
            instance = (id, mine.bool(0, 1) ?? false)
        } else {
            let open = try db.execute("SELECT id, create_time FROM converge_instance WHERE dimension = $1", [dimension])
            if !open.isEmpty, let id = open.int(0, 0), let created = open.int(0, 1) {
                if created < start {
                    try db.execute("""
                        UPDATE converge_instance SET end_time = coalesce(end_time, $1), dimension = dimension || ' fixed at ' || $1 || ' #' || id WHERE id = $2
                        """, [now, id])
                } else {
                    instance = (id, false)
                }
            }
        }
        if instance == nil {
            let matched = try db.execute("""
                SELECT count(*) FROM converge_dimension d WHERE d.dimension = $1 AND d.create_time BETWEEN $2 AND $3
                AND NOT EXISTS (SELECT 1 FROM converge_relation r WHERE r.related_id = d.action_id AND r.related_type = 'action')
                """, [dimension, start, end]).scalarInt ?? 0
            guard matched >= max(1, config.count) else {
                return ConvergeResult(decision: .execute, convergeId: nil, message: "not converged: \(matched) of \(config.count) actions in the window")
            }
            let id = try db.execute("""
                INSERT INTO converge_instance (dimension, converge_config, converge_func, converge_type, bk_biz_id, description, create_time)
                VALUES ($1, $2, $3, 'action', $4, $5, $6) RETURNING id
                """, [dimension, config.raw.jsonText, config.function, a.bkBizId, config.description, now]).scalarInt ?? 0
            instance = (id, true)
        }
        let (id, isNew) = instance!
        let executed = try db.execute("""
            SELECT a.status FROM converge_relation r JOIN action_instance a ON a.id = r.related_id
            WHERE r.converge_id = $1 AND r.related_type = 'action' AND r.converge_status = 'executed' AND r.related_id != $2
            """, [id, a.id]).rows.compactMap { $0[0].flatMap(ActionStatus.init(rawValue:)) }
        var foldedIntoBusiness = false
        if config.function == "collect" || config.function == "collect_alarm" {
            if isNew {
                try createCollect(for: a, instance: id, type: "action", description: config.description, now: now)
                if let sub = config.sub { foldedIntoBusiness = try businessStage(a, instance: id, sub: sub, now: now) }
            } else {
                foldedIntoBusiness = !(try db.execute("SELECT 1 FROM converge_relation WHERE related_id = $1 AND related_type = 'converge'", [id]).isEmpty)
            }
        }
        let decision = ConvergeRules.decide(config.function, isNew: isNew, executed: executed, count: config.count, foldedIntoBusiness: foldedIntoBusiness)
        try db.execute("""
            INSERT INTO converge_relation (converge_id, related_id, related_type, is_primary, converge_status, alerts)
            VALUES ($1, $2, 'action', $3, $4, $5)
            ON CONFLICT (converge_id, related_id, related_type) DO UPDATE SET converge_status = excluded.converge_status
            """, [id, a.id, isNew, decision == .execute ? "executed" : "skipped", a.text.alerts])
        return ConvergeResult(decision: decision, convergeId: id, message: ConvergeRules.message(instance: id, config: config, decision: decision))
    }

    func createCollect(for a: ClaimedAction, instance: Int64, type: String, description: String, now: Int64) throws {
        let inputs = a.json(\.inputs)
        var actionConfig = a.json(\.actionConfig).objectValue ?? [:]
        actionConfig["name"] = .string((type == "converge" ? "[business summary notice]" : "[summary notice]") + (actionConfig["name"]?.scalarText ?? "notice"))
        let collectInputs: JSONValue = ["converge_id": .int(instance), "converge_type": .string(type),
                                        "notice_way": inputs["notice_way"] ?? .null, "notice_receiver": inputs["notice_receiver"] ?? .null,
                                        "converge_description": .string(description)]
        try db.execute("""
            INSERT INTO action_instance (signal, strategy_id, alert_level, status, create_time, update_time, action_plugin, action_config,
                action_config_id, bk_biz_id, inputs, due_at, next_step, deadline_at)
            VALUES ('collect', 0, $1, 'sleep', $2, $2, $3, $4, $5, $6, $7, $8, 'collect', $9)
            """, [a.alertLevel, now, JSONValue.object(["plugin_type": "collect", "plugin_key": "notice", "name": "summary notice"]).jsonText,
                  JSONValue.object(actionConfig).jsonText, a.actionConfigId, a.bkBizId, collectInputs.jsonText,
                  Double(now + ConvergeRules.collectDelay), now + ConvergeRules.collectDelay + 600])
    }

    func businessStage(_ a: ClaimedAction, instance: Int64, sub: ConvergeConfig.Sub, now: Int64) throws -> Bool {
        let key = sub.dimension(for: ConvergeConfig.context(of: a))
        try db.execute(PostgresStore.lockSQL, ["converge|" + key])
        try db.execute("UPDATE converge_instance SET biz_dimension = $1 WHERE id = $2", [key, instance])
        let recent = try db.execute("""
            SELECT id FROM converge_instance WHERE biz_dimension = $1 AND converge_type = 'action' AND end_time IS NULL AND create_time >= $2
            """, [key, now - sub.timedelta]).rows.compactMap { $0[0].flatMap { Int64($0) } }
        guard recent.count >= sub.count else { return false }
        var biz = try db.execute("SELECT id FROM converge_instance WHERE dimension = $1", [key]).scalarInt
        if biz == nil {
            let description = "within \(sub.timedelta) s, \(sub.count) or more strategies notified the same receiver: one business summary"
            biz = try db.execute("""
                INSERT INTO converge_instance (dimension, converge_func, converge_type, bk_biz_id, description, create_time)
                VALUES ($1, 'collect_alarm', 'converge', $2, $3, $4) RETURNING id
                """, [key, a.bkBizId, description, now]).scalarInt
            try createCollect(for: a, instance: biz!, type: "converge", description: description, now: now)
        }
        for id in recent {
            try db.execute("INSERT INTO converge_relation (converge_id, related_id, related_type) VALUES ($1, $2, 'converge') ON CONFLICT DO NOTHING",
                           [biz!, id])
        }
        return true
    }

    package func prepareCollect(_ actions: [ClaimedAction], now: Int64) throws -> [Int64: CollectPreparation] {
        try write {
            var out: [Int64: CollectPreparation] = [:]
            for a in actions {
                let inputs = a.json(\.inputs)
                guard let cid = inputs["converge_id"]?.intValue else {
                    out[a.id] = .skip("summary: its converge instance is gone")
                    continue
                }
                // The instance row is locked: one summary ends it, whichever host runs it.
                let row = try db.execute("SELECT end_time, description FROM converge_instance WHERE id = $1 FOR UPDATE", [cid])
                guard !row.isEmpty else {
                    out[a.id] = .skip("summary: its converge instance is gone")
                    continue
                }
                if row.string(0, 0) != nil {
                    out[a.id] = .skip("summary: converge instance \(cid) already ended")
                    continue
                }
                let description = row.string(0, 1) ?? ""
                let business = inputs["converge_type"]?.stringValue == "converge"
                if !business, let biz = try db.execute("SELECT converge_id FROM converge_relation WHERE related_id = $1 AND related_type = 'converge'", [cid]).scalarInt {
                    out[a.id] = .skip("summary: folded into the business summary of converge instance \(biz)")
                    continue
                }
                let instances = business
                    ? try db.execute("SELECT related_id FROM converge_relation WHERE converge_id = $1 AND related_type = 'converge'", [cid]).rows.compactMap { $0[0].flatMap { Int64($0) } }
                    : [cid]
                let related = try db.execute("""
                    SELECT a.id, a.alerts, a.alert, a.strategy FROM converge_relation r JOIN action_instance a ON a.id = r.related_id
                    WHERE r.converge_id = ANY($1::bigint[]) AND r.related_type = 'action' AND r.converge_status = 'skipped' AND a.status = 'skipped' ORDER BY a.id
                    """, [PGArray(instances)]).rows
                try db.execute("""
                    UPDATE converge_instance SET end_time = coalesce(end_time, $1), dimension = dimension || ' ended at ' || $1 || ' #' || id
                    WHERE id = ANY($2::bigint[]) AND end_time IS NULL
                    """, [now, PGArray(instances + (business ? [cid] : []))])
                guard !related.isEmpty else {
                    out[a.id] = .skip("summary: no converged actions to cover (converge instance \(cid) ended)")
                    continue
                }
                let held = related.map {
                    ConvergeSummary.Related(id: $0[0].flatMap { Int64($0) } ?? 0, alerts: $0[1] ?? "[]", alert: $0[2] ?? "{}", strategy: $0[3] ?? "{}")
                }
                let summary = ConvergeSummary(action: a, inputs: inputs, business: business, description: description, now: now, related: held)
                try db.execute("UPDATE action_instance SET inputs = $1, alerts = $2, assignee = $3 WHERE id = $4 AND lease_token = $5",
                               [summary.inputs, summary.alerts, summary.assignee, a.id, a.leaseToken])
                out[a.id] = .send(summary.send, related: held.map(\.id))
            }
            return out
        }
    }

    package func convergeView(actionId: Int64) throws -> JSONValue? {
        try read {
            let row = try db.execute("""
                SELECT i.id, i.dimension, i.converge_func, i.description, i.create_time, i.end_time, r.is_primary, r.converge_status
                FROM converge_relation r JOIN converge_instance i ON i.id = r.converge_id WHERE r.related_id = $1 AND r.related_type = 'action'
                """, [actionId])
            guard !row.isEmpty, let id = row.int(0, 0) else { return nil }
            let siblings = try db.execute("""
                SELECT r.related_id, r.is_primary, r.converge_status, a.status FROM converge_relation r
                LEFT JOIN action_instance a ON a.id = r.related_id WHERE r.converge_id = $1 AND r.related_type = 'action' ORDER BY r.related_id
                """, [id]).rows.map { r -> JSONValue in
                ["id": .int(r[0].flatMap { Int64($0) } ?? 0), "is_primary": .bool(r[1] == "t"), "converge_status": .string(r[2] ?? ""),
                 "status": r[3].map { .string($0) } ?? .null]
            }
            return ["id": .int(id), "dimension": .string(row.string(0, 1) ?? ""), "converge_func": .string(row.string(0, 2) ?? ""),
                    "description": .string(row.string(0, 3) ?? ""), "create_time": .int(row.int(0, 4) ?? 0),
                    "end_time": row.int(0, 5).map { .int($0) } ?? .null,
                    "is_primary": .bool(row.bool(0, 6) ?? false), "converge_status": .string(row.string(0, 7) ?? ""), "relations": .array(siblings)]
        }
    }

    package func openConvergeInstances() throws -> Int {
        try read { Int(try db.execute("SELECT count(*) FROM converge_instance WHERE end_time IS NULL").scalarInt ?? 0) }
    }
}
