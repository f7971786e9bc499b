import FTACore

/// The notice gate on PostgreSQL: one transaction that checks each notice's lease first (the
/// row is locked, so the lease cannot be taken over meanwhile), then claims de-dupe keys and
/// counts quotas under advisory locks per key, so two hosts sending to one receiver at once
/// count every send.
extension PostgresStore {
    static let digestTitles = 20

    package func admit(_ requests: [GateRequest], now: Int64) throws -> [GateDecision] {
        guard !requests.isEmpty else { return [] }
        return try write {
            // Keys in order, so that two passes asking for the same keys cannot deadlock.
            var keys = Set<String>()
            for r in requests {
                switch r.kind {
                case .once(let key, _): keys.insert("dedupe|" + key)
                case .quota(let way, let receiver, _, _, _): keys.insert("quota|\(way)|\(receiver)")
                }
            }
            for k in keys.sorted() { try db.execute(PostgresStore.lockSQL, [k]) }
            return try requests.map { r -> GateDecision in
                let held = try db.execute("""
                    SELECT 1 FROM action_instance WHERE id = $1 AND lease_token = $2 AND due_at IS NOT NULL FOR SHARE
                    """, [r.hold.id, r.hold.token])
                guard !held.isEmpty else { return .leaseLost }
                switch r.kind {
                case .once(let key, let window):
                    try db.execute("DELETE FROM notice_dedupe WHERE key = $1 AND expires_at <= $2", [key, now])
                    let claimed = try db.execute("""
                        INSERT INTO notice_dedupe (key, action_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING
                        """, [key, r.hold.id, now + window]).affected
                    if claimed > 0 { return .admitted }
                    let holder = try db.execute("SELECT action_id FROM notice_dedupe WHERE key = $1", [key]).scalarInt ?? 0
                    return holder == r.hold.id ? .admitted : .heldBy(holder)
                case .quota(let way, let receiver, let cap, let window, let item):
                    return try takeQuota(way: way, receiver: receiver, cap: cap, window: window, now: now, fold: item).map { .folded(digestAt: $0) } ?? .admitted
                }
            }
        }
    }

    func takeQuota(way: String, receiver: String, cap: Int, window: Int64, now: Int64, fold item: DigestItem) throws -> Int64? {
        let key = "\(way)|\(receiver)"
        try db.execute("DELETE FROM notice_quota WHERE key = $1 AND expires_at <= $2", [key, now])
        let row = try db.execute("SELECT count, expires_at FROM notice_quota WHERE key = $1", [key])
        guard !row.isEmpty, let count = row.int(0, 0), let expires = row.int(0, 1) else {
            try db.execute("INSERT INTO notice_quota (key, count, expires_at) VALUES ($1, 1, $2)", [key, now + window])
            return nil
        }
        if count < Int64(cap) {
            try db.execute("UPDATE notice_quota SET count = count + 1 WHERE key = $1", [key])
            return nil
        }
        let d = try db.execute("SELECT count, titles, alerts, due_at FROM notice_digest WHERE way = $1 AND receiver = $2", [way, receiver])
        if !d.isEmpty {
            var titles = (try? JSONParser.parse(d.string(0, 1) ?? "[]").arrayValue) ?? []
            if titles.count < PostgresStore.digestTitles { titles.append(.string(item.title)) }
            var alerts = (try? JSONParser.parse(d.string(0, 2) ?? "[]").arrayValue) ?? []
            if !alerts.contains(.string(item.alertId)) { alerts.append(.string(item.alertId)) }
            try db.execute("UPDATE notice_digest SET count = count + 1, titles = $1, alerts = $2 WHERE way = $3 AND receiver = $4",
                           [JSONValue.array(titles).jsonText, JSONValue.array(alerts).jsonText, way, receiver])
            return d.int(0, 3)
        }
        try db.execute("INSERT INTO notice_digest (way, receiver, due_at, count, titles, alerts, bk_biz_id) VALUES ($1, $2, $3, 1, $4, $5, $6)",
                       [way, receiver, expires, JSONValue.array([.string(item.title)]).jsonText, JSONValue.array([.string(item.alertId)]).jsonText, item.bkBizId])
        return expires
    }

    // MARK: Breaker rules

    package func addBreakerRules(_ rules: [BreakerRule], now: Int64) throws -> [Int64] {
        for r in rules { try r.validate() }
        return try write {
            try rules.map { r in
                try db.execute("""
                    INSERT INTO breaker_rule (key, method, value, condition, description, creator, create_time, expires_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
                    """, [r.key, r.method, JSONValue.array(r.values.map { .string($0) }).jsonText, r.condition,
                          r.description, r.creator, now, r.expiresAt]).scalarInt ?? 0
            }
        }
    }

    package func breakerRules(now: Int64, includeExpired: Bool) throws -> [BreakerRule] {
        try read {
            try db.execute("""
                SELECT id, key, method, value, condition, description, creator, create_time, expires_at, held FROM breaker_rule
                WHERE module = 'action' AND ($1 OR expires_at IS NULL OR expires_at > $2) ORDER BY id
                """, [includeExpired, now]).rows.map { row in
                let values = ((try? JSONParser.parse(row[3] ?? "[]").arrayValue) ?? []).compactMap(\.scalarText)
                var r = BreakerRule(key: row[1] ?? "", method: row[2] ?? "", values: values, condition: row[4] ?? "and")
                r.id = row[0].flatMap { Int64($0) } ?? 0
                r.description = row[5] ?? ""
                r.creator = row[6] ?? ""
                r.createTime = row[7].flatMap { Int64($0) } ?? 0
                r.expiresAt = row[8].flatMap { Int64($0) }
                r.held = row[9].flatMap { Int64($0) } ?? 0
                return r
            }
        }
    }

    package func removeBreakerRules(_ ids: [Int64]) throws -> [Int64] {
        try write {
            try db.execute("DELETE FROM breaker_rule WHERE id = ANY($1::bigint[]) RETURNING id", [PGArray(ids)])
                .rows.compactMap { $0[0].flatMap { Int64($0) } }.sorted { a, b in (ids.firstIndex(of: a) ?? 0) < (ids.firstIndex(of: b) ?? 0) }
        }
    }

    package func clearBreakerRules() throws -> Int {
        try write { try db.execute("DELETE FROM breaker_rule WHERE module = 'action'").affected }
    }

    // MARK: Users and groups

    package func loadDirectory() throws -> UserDirectory {
        try read {
            var directory = UserDirectory()
            for row in try db.execute("SELECT id, addresses FROM notice_user").rows {
                let id = row[0] ?? ""
                let o = (try? JSONParser.parse(row[1] ?? "{}").objectValue) ?? [:]
                directory.users[id] = UserContact(id: id, addresses: o.compactMapValues(\.scalarText))
            }
            for row in try db.execute("SELECT id, name, users, followers, notice_ways, chat_ids, duty_rules, need_duty, timezone, duty_notice FROM user_group").rows {
                func list(_ i: Int) -> [String] { ((try? JSONParser.parse(row[i] ?? "[]").arrayValue) ?? []).compactMap(\.scalarText) }
                var ways: [Int: [String]] = [:]
                for (k, v) in (try? JSONParser.parse(row[4] ?? "{}").objectValue) ?? [:] {
                    ways[Int(k) ?? 0] = (v.arrayValue ?? []).compactMap(\.stringValue)
                }
                let id = row[0] ?? ""
                directory.groups[id] = UserGroup(id: id, name: row[1] ?? "", users: list(2), followers: list(3), noticeWays: ways.isEmpty ? [0: ["mail"]] : ways,
                                                 chatIds: list(5), dutyRules: list(6).compactMap { Int64($0) }, needDuty: row[7] == "t",
                                                 timezone: row[8] ?? "Asia/Shanghai", dutyNotice: (try? JSONParser.parse(row[9] ?? "{}").objectValue) ?? [:])
            }
            return directory
        }
    }

    package func saveDirectory(_ directory: UserDirectory, replace: Bool, now: Int64) throws -> (users: Int, groups: Int, removed: Int) {
        try write {
            var removed = 0
            if replace {
                try db.execute("DELETE FROM notice_user")
                removed = try db.execute("DELETE FROM user_group").affected
            }
            for (id, u) in directory.users {
                try db.execute("""
                    INSERT INTO notice_user (id, addresses, update_time) VALUES ($1, $2, $3)
                    ON CONFLICT (id) DO UPDATE SET addresses = excluded.addresses, update_time = excluded.update_time
                    """, [id, JSONValue.object(u.addresses.mapValues { .string($0) }).jsonText, now])
            }
            for (id, g) in directory.groups {
                func list(_ l: [String]) -> String { JSONValue.array(l.map { .string($0) }).jsonText }
                let ways = JSONValue.object(Dictionary(uniqueKeysWithValues: g.noticeWays.map { (String($0.key), JSONValue.array($0.value.map { .string($0) })) })).jsonText
                try db.execute("""
                    INSERT INTO user_group (id, name, users, followers, notice_ways, chat_ids, duty_rules, need_duty, timezone, duty_notice, update_time)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                    ON CONFLICT (id) DO UPDATE SET name = excluded.name, users = excluded.users, followers = excluded.followers,
                        notice_ways = excluded.notice_ways, chat_ids = excluded.chat_ids, duty_rules = excluded.duty_rules,
                        need_duty = excluded.need_duty, timezone = excluded.timezone, duty_notice = excluded.duty_notice, update_time = excluded.update_time
                    """, [id, g.name, list(g.users), list(g.followers), ways, list(g.chatIds), list(g.dutyRules.map(String.init)),
                          g.needDuty, g.timezone, JSONValue.object(g.dutyNotice).jsonText, now])
            }
            return (directory.users.count, directory.groups.count, removed)
        }
    }

    // MARK: Replay

    package func heldNotices(_ f: HeldFilter) throws -> [HeldNotice] {
        var sql = """
            SELECT id, create_time, strategy_id, bk_biz_id, parent_action_id, signal, status, ex_data, strategy, action_plugin
            FROM action_instance
            WHERE failure_type = 'blocked' AND status IN ('blocked', 'failure') AND (ex_data::jsonb -> 'retry_params' -> 0) IS NOT NULL
            """
        var args: [(any PGBindable)?] = []
        func param(_ v: any PGBindable) -> String { args.append(v); return "$\(args.count)" }
        if !f.ids.isEmpty { sql += " AND id = ANY(\(param(PGArray(f.ids)))::bigint[])" }
        if !f.strategies.isEmpty { sql += " AND strategy_id = ANY(\(param(PGArray(f.strategies)))::bigint[])" }
        if !f.bizIds.isEmpty { sql += " AND bk_biz_id = ANY(\(param(PGArray(f.bizIds)))::text[])" }
        if !f.ways.isEmpty { sql += " AND (ex_data::jsonb -> 'retry_params' -> 0 ->> 'way') = ANY(\(param(PGArray(f.ways)))::text[])" }
        if let since = f.since { sql += " AND create_time >= \(param(since))" }
        if let until = f.until { sql += " AND create_time < \(param(until))" }
        sql += " ORDER BY id"
        if let limit = f.limit { sql += " LIMIT \(param(limit))" }
        return try read {
            try db.execute(sql, args).rows.map { row in
                let exData = (try? JSONParser.parse(row[7] ?? "{}")) ?? .object([:])
                let plugin = (try? JSONParser.parse(row[9] ?? "{}")) ?? .object([:])
                let strategy = (try? JSONParser.parse(row[8] ?? "{}")) ?? .object([:])
                let strategyId = row[2].flatMap { Int64($0) } ?? 0, biz = row[3] ?? ""
                return HeldNotice(id: row[0].flatMap { Int64($0) } ?? 0, createTime: row[1].flatMap { Int64($0) } ?? 0, strategyId: strategyId,
                                  bkBizId: biz, parentActionId: row[4].flatMap { Int64($0) } ?? 0,
                                  signal: row[5] ?? "", status: row[6] ?? "", sends: exData["retry_params"]?.arrayValue ?? [],
                                  dimensions: BreakerMatcher.dimensions(strategyId: strategyId, bkBizId: biz, strategy: strategy,
                                                                        pluginKey: plugin["plugin_key"]?.stringValue ?? "notice"))
            }
        }
    }

    package func claimHeld(_ id: Int64, owner: String, now: Int64, lease: Int64) throws -> Bool {
        try write {
            try db.execute("""
                UPDATE action_instance SET lease_owner = $1, lease_expires_at = $2
                WHERE id = $3 AND failure_type = 'blocked' AND status IN ('blocked', 'failure') AND due_at IS NULL
                  AND (lease_owner IS NULL OR lease_expires_at <= $4)
                """, [owner, Double(now + lease), id, Double(now)]).affected > 0
        }
    }

    package func markReplayed(_ id: Int64, owner: String, ok: Bool, message: String, now: Int64) throws {
        try write {
            let replay = JSONValue.object(["time": .int(now), "result": .bool(ok), "message": .string(message)]).jsonText
            let text = ok ? "replayed: \(message)" : "replay failed (still replayable): \(message)"
            let changed = try db.execute("""
                UPDATE action_instance SET status = $1, failure_type = $2, end_time = $3, update_time = $3,
                    ex_data = (ex_data::jsonb || jsonb_build_object('replay', $4::jsonb, 'message', $5::text))::text,
                    lease_owner = NULL, lease_expires_at = NULL
                WHERE id = $6 AND lease_owner = $7 RETURNING parent_action_id
                """, [ok ? "success" : "failure", ok ? nil : "blocked", now, replay, text, id, owner])
            guard !changed.isEmpty else { return }
            try db.execute("INSERT INTO action_log (time, action_id, step, level, message) VALUES ($1, $2, 'replay', $3, $4)",
                           [now, id, ok ? 20 : 40, ok ? "replayed: \(message)" : "replay failed: \(message)"])
            if let parent = changed.scalarInt, parent > 0 { try aggregateParent(parent, now: now) }
        }
    }
}
