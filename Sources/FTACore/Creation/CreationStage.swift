/// The creation stage (original-system.md §2.2, §2.3): from one alert event to the action rows the
/// original would create — the message-queue action, a notice parent with one child per notice
/// way and receiver, and one row per other action relation. Pure: the pass stores the plan.
package struct CreationStage: Sendable {
    /// Action configs by id (the config file's `action_configs`).
    package var configs: [Int64: JSONValue]
    package var directory: UserDirectory
    /// A message-queue action is made for every event when a queue is configured.
    package var messageQueue = false
    /// Push shielded alerts to the queue too (the original's `ENABLE_PUSH_SHIELDED_ALERT`).
    package var pushShieldedAlerts = true
    /// Circuit breaker for the message-queue action (creation stage, original-system.md §4.5).
    package var breaker = BreakerMatcher(rules: [])
    /// Checks that a config can run here (plugin type known, config complete).
    package var validate: @Sendable (String, JSONValue) throws -> Void = { _, _ in }

    package init(configs: [Int64: JSONValue] = [:], directory: UserDirectory = UserDirectory()) {
        self.configs = configs
        self.directory = directory
    }

    /// One action with the rows that belong to it: a notice parent's children.
    package struct Family: Sendable {
        package var action: ActionDraft
        package var children: [ActionDraft] = []
        package var relationId: Int64
        /// Seconds until the next interval round, or nil when this action does not repeat.
        package var repeatAfter: Int64?
    }

    package struct Plan: Sendable {
        package var families: [Family] = []
        /// Why relations were left out (shown to the operator; not errors).
        package var notes: [String] = []
        /// Problems worth attention that did not stop the event (an unknown user group).
        package var warnings: [String] = []
        /// The alert ended: its interval repeats stop.
        package var stopsRepeats = false
        /// The alerts this plan is about.
        package var alertIds: [String] = []
        /// Alerts the circuit breaker left out of the message-queue action.
        package var heldByBreaker = 0
    }

    /// The default notice package for config id 0 (the original's `DEFAULT_NOTICE_ACTION` config).
    package static let defaultNoticeConfig: JSONValue = [
        "id": 0, "name": "default alert notice", "plugin_type": "notice", "is_enabled": true,
        "execute_config": ["template_detail": ["need_poll": true, "notify_interval": 86400, "interval_notify_mode": "standard"]],
    ]

    /// Built-in plugin ids of the original (`action_plugin_initial.json`).
    static let builtinPlugins: [Int64: (type: String, key: String)] = [
        1: ("notice", "notice"), 2: ("webhook", "webhook"), 3: ("job", "job"), 4: ("sops", "sops"),
        5: ("common", "itsm"), 6: ("sops", "sops_common"), 7: ("common", "itsmv4"), 110: ("bk_incident", "bk_incident"),
    ]

    /// The plugin type and key of an action config: `plugin_type`, or a built-in `plugin_id`.
    package static func plugin(of config: JSONValue) -> (type: String, key: String)? {
        if let t = config["plugin_type"]?.stringValue, !t.isEmpty { return (t, config["plugin_key"]?.stringValue ?? t) }
        if let id = config["plugin_id"]?.intValue { return builtinPlugins[id] }
        return nil
    }

    /// Builds the plan for `event` at `now`. `fallbackConfigs` serve ids found nowhere else
    /// (the snapshot of an earlier round). Throws a ``FieldError`` for an event that cannot be
    /// acted on as written (an unknown config id, a config this build cannot run).
    package func plan(_ event: AlertEvent, now: Int64, fallbackConfigs: [Int64: JSONValue] = [:]) throws -> Plan {
        guard !event.otherAlerts.isEmpty else { return try planOne(event, now: now, fallbackConfigs: fallbackConfigs) }
        // Several alerts: one message-queue action for those the breaker lets through, the
        // rest per alert.
        let alerts = [event.alert] + event.otherAlerts
        var plan = Plan()
        plan.stopsRepeats = event.signal == "recovered" || event.signal == "closed"
        plan.alertIds = alerts.compactMap { $0["id"]?.scalarText }
        var perAlert = self
        perAlert.messageQueue = false
        if messageQueue, event.round == 0, event.relationId == nil {
            var ids: [String] = []
            var kept: [JSONValue] = []
            for a in alerts {
                let e = event.forAlert(a)
                if e.isShielded && !pushShieldedAlerts { continue }
                if let rules = breaker.match(BreakerMatcher.dimensions(strategyId: e.strategyId, bkBizId: e.bkBizId, strategy: e.strategy, pluginKey: "message_queue")) {
                    plan.notes.append("alert \(e.alertId) left out of the message-queue action: held by breaker rule \(rules[0].id)")
                    plan.heldByBreaker += 1
                    continue
                }
                ids.append(e.alertId)
                kept.append(a)
            }
            if ids.isEmpty {
                plan.notes.append("every alert is held by the breaker: no message-queue action")
            } else {
                var mq = messageQueueDraft(event, now: now)
                mq.alerts = JSONValue.array(ids.map { .string($0) }).jsonText
                // Every pushed alert's snapshot (the row's `alert` column holds the first).
                mq.inputs = JSONValue.object(["alerts": .array(kept)]).jsonText
                mq.dedupeKey = "ingest|\(event.eventKey ?? alerts.compactMap { $0["id"]?.scalarText }.joined(separator: ","))|\(event.signal)|mq"
                plan.families.append(Family(action: mq, relationId: 0))
            }
        }
        for a in alerts {
            let sub = try perAlert.planOne(event.forAlert(a), now: now, fallbackConfigs: fallbackConfigs)
            plan.families += sub.families
            plan.notes += sub.notes
            plan.warnings += sub.warnings
        }
        return plan
    }

    /// The message-queue action for `event` (no action config, as the original).
    func messageQueueDraft(_ event: AlertEvent, now: Int64) -> ActionDraft {
        var mq = ActionDraft(signal: event.signal, pluginType: "message_queue")
        mq.actionPlugin = JSONValue.object(["plugin_type": "message_queue"]).jsonText
        mq.strategyId = event.strategyId
        mq.alertLevel = event.severity
        mq.bkBizId = event.bkBizId
        mq.generateUUID = CreationStage.batchId(event.strategyId, event.signal, event.alertId, event.round, -1)
        mq.strategy = event.strategy.jsonText
        mq.dimensions = (event.alert["dimensions"]?.arrayValue.map { JSONValue.array($0) } ?? .array([])).jsonText
        mq.alerts = JSONValue.array([.string(event.alertId)]).jsonText
        mq.alert = event.alert.jsonText
        return mq
    }

    func planOne(_ event: AlertEvent, now: Int64, fallbackConfigs: [Int64: JSONValue]) throws -> Plan {
        var plan = Plan()
        plan.alertIds = [event.alertId]
        let signal = event.signal
        plan.stopsRepeats = signal == "recovered" || signal == "closed"
        let relations = try event.relations()
        let alertText = event.alert.jsonText
        let strategyText = event.strategy.jsonText
        let dimensions = (event.alert["dimensions"]?.arrayValue.map { JSONValue.array($0) } ?? .array([])).jsonText
        let alertsText = JSONValue.array([.string(event.alertId)]).jsonText
        let identity = event.eventKey ?? (signal == "manual" ? "\(event.alertId)|manual|\(event.alert["latest_time"]?.scalarText ?? "")" : "\(event.alertId)|\(signal)")

        func draft(pluginType: String, pluginKey: String, config: JSONValue, configId: Int64, relation: Relation?, inputs: JSONValue) -> ActionDraft {
            var d = ActionDraft(signal: signal, pluginType: pluginType)
            d.actionPlugin = JSONValue.object(["plugin_type": .string(pluginType), "plugin_key": .string(pluginKey)]).jsonText
            d.strategyId = event.strategyId
            d.strategyRelationId = relation?.id ?? 0
            d.dimensionHash = event.alert["dimension_hash"]?.stringValue ?? ""
            d.alertLevel = event.severity
            d.actionConfigId = configId
            d.bkBizId = event.bkBizId
            d.executeTimes = event.round
            d.generateUUID = CreationStage.batchId(event.strategyId, signal, event.alertId, event.round, relation?.id ?? -1)
            d.strategy = strategyText
            d.dimensions = dimensions
            d.alerts = alertsText
            d.alert = alertText
            d.actionConfig = config.objectValue == nil ? "{}" : config.jsonText
            d.inputs = inputs.jsonText
            if let t = config["execute_config"]?["timeout"]?.intValue, t > 0 { d.timeout = t }
            return d
        }

        // The message-queue action: every signal, first round only, before any other filtering.
        if messageQueue, event.round == 0, event.relationId == nil, !event.isShielded || pushShieldedAlerts {
            if let rules = breaker.match(BreakerMatcher.dimensions(strategyId: event.strategyId, bkBizId: event.bkBizId, strategy: event.strategy, pluginKey: "message_queue")) {
                plan.notes.append("alert \(event.alertId) is held by breaker rule \(rules[0].id): no message-queue action")
                plan.heldByBreaker += 1
            } else {
                var mq = messageQueueDraft(event, now: now)
                mq.dedupeKey = "ingest|\(identity)|mq"
                plan.families.append(Family(action: mq, relationId: 0))
            }
        }
        if relations.isEmpty {
            plan.notes.append("no relation of strategy \(event.strategyId) answers signal \(signal)")
            return plan
        }
        if let why = statusMismatch(event, now: now) {
            plan.notes.append(why)
            return plan
        }

        let baseInputs: [String: JSONValue] = [
            "alert_latest_time": event.alert["latest_time"] ?? .null,
            "is_alert_shielded": .bool(event.isShielded),
            "shield_ids": event.alert["shield_id"] ?? .array([]),
            "shield_detail": event.alert["shield_detail"] ?? .string(""),
            "is_unshielded": .bool(event.isUnshielded),
            "notice_type": .string(event.noticeType),
        ]
        for relation in relations {
            // (Spelled out: JSONValue is nil-literal convertible, so `cond ? x : nil` would be `.null`.)
            var found: JSONValue? = event.inlineConfigs[relation.configId] ?? configs[relation.configId]
            if found == nil, relation.configId == 0 { found = CreationStage.defaultNoticeConfig }
            if found == nil { found = fallbackConfigs[relation.configId] }
            guard let config = found else {
                throw FieldError("\(relation.field).config_id", "action config \(relation.configId) is not in the event's action_configs nor in the config file's action_configs")
            }
            if config["is_enabled"]?.boolValue == false {
                plan.notes.append("action config \(relation.configId) is disabled: \(relation.field) skipped")
                continue
            }
            guard let plugin = CreationStage.plugin(of: config) else {
                throw FieldError("action_configs[\(relation.configId)].plugin_type", "missing (or an unknown plugin_id)")
            }
            if relation.isNotice, plugin.type != "notice" {
                throw FieldError("\(relation.field).config_id", "action config \(relation.configId) is a \(plugin.type) package, not a notice package")
            }
            do { try validate(plugin.type, config) } catch let e as FieldError {
                throw FieldError("action_configs[\(relation.configId)].\(e.field)", e.message)
            }
            if let delay = relation.options["skip_delay"]?.intValue, delay > 0, relation.signals.contains("abnormal"),
               let begin = event.alert["begin_time"]?.intValue, now - begin > delay {
                plan.notes.append("\(relation.field): the alert began \(now - begin) s ago, beyond skip_delay \(delay) s: skipped")
                continue
            }
            let detail = config["execute_config"]?["template_detail"]
            var inputs = baseInputs
            inputs["exclude_notice_ways"] = .array(relation.excludedWays(for: signal).map { .string($0) })
            inputs["time_range"] = .string(relation.timeRange)
            // Convergence runs before the action executes (the pass's converge step).
            if let c = relation.options["converge_config"], c.objectValue?.isEmpty == false { inputs["converge_config"] = c }
            let key = "ingest|\(identity)|rel\(relation.id)-cfg\(relation.configId)|\(event.round)"

            var family: Family
            if plugin.type == "notice" {
                let serial = detail?["voice_notice"]?.stringValue == "serial"
                let resolved = directory.resolve(groups: relation.userGroups, level: Int(event.severity),
                                                 excludeWays: Set(relation.excludedWays(for: signal)), serialVoice: serial)
                for g in resolved.unknownGroups {
                    plan.warnings.append("\(relation.field).user_groups: group '\(g)' is not in the config's user_groups; its members are not notified")
                }
                if relation.userGroups.isEmpty {
                    plan.notes.append("\(relation.field): no user groups: no notice")
                    continue
                }
                inputs["notify_info"] = resolved.notifyInfo
                inputs["follow_notify_info"] = resolved.followNotifyInfo
                inputs["voice_notice_mode"] = .string(serial ? "serial" : "parallel")
                var parent = draft(pluginType: "notice", pluginKey: plugin.key, config: config, configId: relation.configId,
                                   relation: relation, inputs: .object(inputs))
                parent.isParentAction = true
                parent.dedupeKey = key
                var seen = Set<String>()
                let users = resolved.notify.filter { $0.key != "wxwork-bot" }.keys.sorted().flatMap { resolved.notify[$0]! } + resolved.voice.flatMap { $0 }
                parent.assignee = JSONValue.array(users.filter { seen.insert($0).inserted }.map { .string($0) }).jsonText
                family = Family(action: parent, relationId: relation.id)
                // Shielded alerts get the parent only (it finishes skipped), as in the original.
                if !event.isShielded {
                    // The parent's inputs written once; each child adds its way, receiver and flag.
                    let shared = JSONWriter.Members(inputs)
                    func children(_ ways: [String: [String]], _ voice: [[String]], followed: Bool) {
                        for way in ways.keys.sorted() {
                            for receiver in ways[way]! where !receiver.isEmpty {
                                family.children.append(child(of: parent, inputs: shared, way: way, receiver: .string(receiver), key: "\(key)|\(way)|\(receiver)|\(followed ? "f" : "m")", followed: followed))
                            }
                        }
                        for list in voice where !list.isEmpty {
                            family.children.append(child(of: parent, inputs: shared, way: "voice", receiver: .array(list.map { .string($0) }),
                                                         key: "\(key)|voice|\(list.joined(separator: ","))|\(followed ? "f" : "m")", followed: followed))
                        }
                    }
                    children(resolved.notify, resolved.voice, followed: false)
                    children(resolved.follow, resolved.followVoice, followed: true)
                }
            } else {
                var action = draft(pluginType: plugin.type, pluginKey: plugin.key, config: config, configId: relation.configId, relation: relation, inputs: .object(inputs))
                action.dedupeKey = key
                let receivers = directory.resolve(groups: relation.userGroups, level: Int(event.severity))
                var seen = Set<String>()
                let users = receivers.notify.filter { $0.key != "wxwork-bot" }.values.flatMap { $0 }.sorted()
                action.assignee = JSONValue.array(users.filter { seen.insert($0).inserted }.map { .string($0) }).jsonText
                family = Family(action: action, relationId: relation.id)
            }
            if ["abnormal", "no_data"].contains(signal),
               IntervalRule.needPoll(templateDetail: detail, alertCount: 1, isParent: plugin.type == "notice", noticeType: event.noticeType) {
                let after = IntervalRule.interval(templateDetail: detail, rounds: event.round + 1)
                if after > 0 { family.repeatAfter = after }
            }
            plan.families.append(family)
        }
        return plan
    }

    func child(of parent: ActionDraft, inputs: JSONWriter.Members, way: String, receiver: JSONValue, key: String, followed: Bool) -> ActionDraft {
        var c = parent
        c.isParentAction = false
        c.dedupeKey = key
        c.inputs = inputs.text(adding: ["notice_way": .string(way), "notice_receiver": receiver, "followed": .bool(followed)])
        return c
    }

    /// The original's `is_alert_status_valid`: an event whose alert is in another state than
    /// its signal says (or already acknowledged) makes no notices or actions, except within a
    /// minute of the alert's start.
    func statusMismatch(_ event: AlertEvent, now: Int64) -> String? {
        let acked = event.alert["is_ack"]?.boolValue ?? false
        if event.signal == "ack" {
            return event.alert["is_ack_noticed"]?.boolValue == true ? "alert \(event.alertId) was already notified of its acknowledgement: ignored" : nil
        }
        let expected: String
        switch event.signal {
        case "abnormal", "no_data": expected = "ABNORMAL"
        case "recovered": expected = "RECOVERED"
        case "closed": expected = "CLOSED"
        default: return nil
        }
        let status = event.alert["status"]?.stringValue?.uppercased()
        guard acked || (status != nil && status != expected) else { return nil }
        if !acked, let begin = event.alert["begin_time"]?.intValue, begin + 60 > now { return nil }
        return acked ? "alert \(event.alertId) is acknowledged: notices and actions for \(event.signal) ignored"
                     : "alert \(event.alertId) is \(status ?? "?"), not \(expected): notices and actions for \(event.signal) ignored"
    }

    /// A creation batch id (`generate_uuid`): 32 hex digits from the strategy, signal, alert,
    /// round and relation, so that a re-ingested event gets the same one.
    static func batchId(_ strategy: Int64, _ signal: String, _ alert: String, _ round: Int64, _ relation: Int64) -> String {
        let text = "\(strategy)|\(signal)|\(alert)|\(round)|\(relation)"
        func fnv(_ seed: UInt64) -> UInt64 {
            var h = seed
            for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            return h
        }
        let hex = { (v: UInt64) -> String in
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return hex(fnv(0xcbf29ce484222325)) + hex(fnv(0x84222325cbf29ce4))
    }
}
