import Foundation
import FTACore
import FTATemplates

/// Notice actions (`plugin_type: notice`, original-system.md §3.1).
///
/// A parent (`is_parent_action`) carries `inputs.notify_info` and finishes at once; its final
/// status is aggregated from its children by the store. A child carries `inputs.notice_way` and
/// `inputs.notice_receiver` (a user id, a bot chat id, or for voice a list of user ids).
/// Children of one signal, way and alert set claimed together go out as one message to all
/// their receivers (voice never merges); each child records the result for its own receiver.
package struct NoticeProcessor: ActionProcessor {
    package let pluginType = PluginType.notice
    let channels: [String: any NoticeChannel]
    let directory: UserDirectory
    let templates: NoticeTemplates
    /// Per-recipient caps by way; beyond the cap, notices fold into a digest.
    let caps: [String: RecipientCap]

    package init(channels: [String: any NoticeChannel], directory: UserDirectory, templates: NoticeTemplates, caps: [String: RecipientCap] = [:]) {
        self.channels = channels
        self.directory = directory
        self.templates = templates
        self.caps = caps
    }

    static let detailKeys = Set(["template", "voice_notice"]).union(PollSettings.keys)
    static let templateKeys: Set<String> = ["signal", "title_tmpl", "message_tmpl"]

    package func validate(actionConfig: JSONValue) throws {
        let detail = actionConfig["execute_config"]?["template_detail"]
        let field = "action_config.execute_config.template_detail"
        try KnownKeys.check(detail, allowed: NoticeProcessor.detailKeys, field: field)
        try PollSettings.validate(detail, field: field)
        if let t = detail?["template"], !t.isNull {
            guard let items = t.arrayValue else { throw FieldError("\(field).template", "expected a list of {signal, title_tmpl, message_tmpl}") }
            for (i, item) in items.enumerated() { try KnownKeys.check(item, allowed: NoticeProcessor.templateKeys, field: "\(field).template[\(i)]") }
        }
        if let v = detail?["voice_notice"], !v.isNull, !["parallel", "serial"].contains(v.stringValue ?? "") {
            throw FieldError("\(field).voice_notice", "'\(v.scalarText ?? v.typeName)' is not one of parallel, serial")
        }
    }

    struct Child {
        var way: String
        var receivers: [String]
        var followed: Bool
    }

    static func child(_ action: ClaimedAction) -> Child? {
        // Three members of the inputs, without building the rest (a child carries its
        // parent's inputs: receivers of every way, shield details).
        let inputs = JSONParser.members(of: action.text.inputs, ["notice_way", "notice_receiver", "followed"])
        guard let way = inputs["notice_way"]?.stringValue, !way.isEmpty else { return nil }
        let receivers: [String]
        switch inputs["notice_receiver"] {
        case .array(let list)?: receivers = list.compactMap(\.scalarText)
        case let v?: receivers = v.scalarText.map { [$0] } ?? []
        case nil: receivers = []
        }
        return Child(way: way, receivers: receivers, followed: inputs["followed"]?.boolValue ?? false)
    }

    package func mergeKey(for action: ClaimedAction) -> String? {
        // Digests (`collect`) are one per receiver and never merged; nor is voice.
        guard !action.isParentAction, action.nextStep == "execute", action.signal != "collect",
              let (way, followed) = NoticeProcessor.mergeFields(action), way != "voice" else { return nil }
        return "\(action.signal)|\(followed ? "follower_" : "")\(way)|\(action.text.alerts)"
    }

    /// A child's way and follower flag for grouping, read on the pass's recording thread. A
    /// structural scan finds them (the strict walk of ``child(_:)`` was most of the pass's
    /// dispatch); where the scan gives up, the strict walk decides. The worker parses each
    /// child strictly in ``prepare(group:worker:)``, so a child the scan misread fails there on
    /// its own.
    static func mergeFields(_ action: ClaimedAction) -> (way: String, followed: Bool)? {
        guard let m = JSONParser.scannedMembers(of: action.text.inputs, ["notice_way", "followed"]) else {
            return child(action).map { ($0.way, $0.followed) }
        }
        guard let way = m[0]?.stringValue, !way.isEmpty else { return nil }
        return (way, m[1]?.boolValue ?? false)
    }

    package func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult {
        run(group: [action], worker: worker)[0]
    }

    /// Runs a group with every gate key admitted (tools and tests without a store); a pass
    /// goes through ``prepare(group:worker:)``, the store's gate and ``send(_:decisions:worker:)``.
    package func run(group: [ClaimedAction], worker: WorkerContext) -> [StepResult] {
        let plan = prepare(group: group, worker: worker)
        return send(plan, decisions: plan.requests.map { _ in .admitted }, worker: worker)
    }

    /// A group of notice children ready to send: rendered, addresses resolved, breaker checked,
    /// with the gate keys it needs (voice de-dupe, per-recipient caps). Results known already
    /// (a parent, a missing channel, a held send) are in ``finished``.
    package struct Plan: Sendable {
        var group: [ClaimedAction]
        /// The group's first child whose inputs read: its way, texts and send key are the group's.
        var lead = 0
        /// Set when nothing is to be sent: the results, one per action.
        var finished: [StepResult]?
        var way = ""
        var title = ""
        var content = ""
        var addressesOf: [Int64: [String]] = [:]
        var missing: [Int64: String] = [:]
        /// Gate keys to admit before sending, and what each is for.
        package var requests: [GateRequest] = []
        var purposes: [Purpose] = []
        var voiceWindow: Int64 = 0
        var cap: RecipientCap?

        enum Purpose: Sendable { case voice, quota(actionId: Int64, receiver: String) }
    }

    /// Everything before the send, without the database: what goes out, to whom, and which gate
    /// keys it needs.
    package func prepare(group: [ClaimedAction], worker: WorkerContext) -> Plan {
        var plan = Plan(group: group)
        guard let first = group.first else { plan.finished = []; return plan }
        if first.isParentAction {
            plan.finished = group.map { parent in
                let inputs = JSONParser.members(of: parent.text.inputs, ["is_alert_shielded", "shield_detail", "notify_info"])
                if inputs["is_alert_shielded"]?.boolValue == true {
                    let detail = inputs["shield_detail"]?.scalarText ?? ""
                    return StepResult(outcome: ActionOutcome(.finished(.skipped), message: "alert shielded: no notice" + (detail.isEmpty ? "" : " (\(detail))")))
                }
                let info = inputs["notify_info"]?.objectValue ?? [:]
                let empty = info.values.allSatisfy { ($0.arrayValue ?? []).isEmpty }
                return StepResult(outcome: empty ? ActionOutcome(.finished(.skipped), message: "no receivers for this notice")
                                                 : .success("notice parent: the children carry the sends"))
            }
            return plan
        }
        func failAll(_ message: String) -> Plan {
            plan.finished = group.map { _ in StepResult(outcome: ActionOutcome(.finished(.failure), message: message)) }
            return plan
        }
        // Each child's inputs parsed once for the whole group.
        var childOf: [Int64: Child] = [:]
        for a in group { childOf[a.id] = NoticeProcessor.child(a) }
        // The group's way is its first readable child's; a child whose inputs do not read fails
        // on its own (grouping read them with a scan that does not validate).
        let missingWay = "notice config empty: inputs.notice_way is missing"
        guard let leadIndex = group.firstIndex(where: { childOf[$0.id] != nil }), let c = childOf[group[leadIndex].id] else { return failAll(missingWay) }
        let lead = group[leadIndex]
        plan.lead = leadIndex
        guard let channel = channels[c.way] else { return failAll("no channel configured for notice way '\(c.way)' (channels.\(c.way))") }
        plan.way = c.way

        // Receivers' addresses on this way; a receiver without one fails on its own.
        for a in group {
            guard let child = childOf[a.id] else { plan.missing[a.id] = missingWay; continue }
            let receivers = child.receivers
            if c.way == "wxwork-bot" { plan.addressesOf[a.id] = receivers; continue }
            let found = receivers.compactMap { directory.address(of: $0, on: c.way) }
            if found.isEmpty { plan.missing[a.id] = "no \(c.way) address for \(receivers.joined(separator: ", ")) (users.<id>)" } else { plan.addressesOf[a.id] = found }
        }
        guard !plan.addressesOf.isEmpty else { return plan }
        do {
            let actionTemplates = worker.configs.json(lead.text.actionConfig)["execute_config"]?["template_detail"]?["template"]
            let now = worker.clock.now()
            (plan.title, plan.content) = try NoticeRendering.render(templates: templates, signal: lead.signal, way: c.way, level: lead.alertLevel,
                                                                    context: { ActionContext.context(lead, configs: worker.configs, original: $0 ? templates.context : nil, now: now) },
                                                                    actionTemplates: actionTemplates, renderer: worker.renderer)
        } catch {
            return failAll("\(error)")
        }
        // Circuit breaker, notice stage: hold the rendered send for fta-replay instead.
        if let rules = worker.breaker.match(BreakerMatcher.dimensions(of: lead)) {
            let ids = rules.map { String($0.id) }.joined(separator: ",")
            let outputs: [String: JSONValue] = ["title": .string(plan.title), "message": .string(plan.content)]
            plan.finished = group.map { a in
                if let why = plan.missing[a.id] { return StepResult(outcome: ActionOutcome(.finished(.failure), message: why)) }
                let send: JSONValue = [
                    "channel": .string(c.way), "way": .string(c.way),
                    "receivers": .array((childOf[a.id]?.receivers ?? []).map { .string($0) }),
                    "addresses": .array((plan.addressesOf[a.id] ?? []).map { .string($0) }),
                    "title": .string(plan.title), "content": .string(plan.content), "signal": .string(a.signal),
                ]
                return StepResult(outcome: ActionOutcome(.finished(.blocked), message: "\(c.way) notice circuit-broken by breaker rule \(ids)", outputs: outputs,
                                                         exData: ["circuit_breaking": true, "breaker_rule": .int(rules[0].id), "retry_params": [send]]),
                                  detail: "held by breaker rule \(ids)")
            }
            return plan
        }
        // Per-recipient cap: a receiver past it gets this notice in a digest later instead.
        if let cap = caps[c.way], c.way != "voice", lead.signal != "collect" {
            plan.cap = cap
            let alertId = (try? JSONParser.parse(lead.text.alerts).arrayValue?.first?.scalarText) ?? nil
            for a in group where plan.addressesOf[a.id] != nil {
                guard let receiver = childOf[a.id]?.receivers.first else { continue }
                plan.requests.append(GateRequest(hold: LeaseHold(id: a.id, token: a.leaseToken), kind: .quota(
                    way: c.way, receiver: receiver, cap: cap.max, window: cap.window,
                    digest: DigestItem(title: plan.title, alertId: alertId ?? "", bkBizId: a.bkBizId))))
                plan.purposes.append(.quota(actionId: a.id, receiver: receiver))
            }
        }
        // Voice: one call per identical receiver list per window, across passes.
        if c.way == "voice", let window = (channel as? GatewayChannel)?.settings.dedupeWindow, window > 0 {
            var seen = Set<String>()
            let all = group.flatMap { plan.addressesOf[$0.id] ?? [] }.filter { seen.insert($0).inserted }
            if !all.isEmpty {
                plan.voiceWindow = window
                plan.requests.append(GateRequest(hold: LeaseHold(id: lead.id, token: lead.leaseToken), kind: .once(key: "voice|" + all.joined(separator: ","), window: window)))
                plan.purposes.append(.voice)
            }
        }
        return plan
    }

    /// Sends what the gate admitted and says, per action, what happened.
    package func send(_ prepared: Plan, decisions: [GateDecision], worker: WorkerContext) -> [StepResult] {
        deliver(outgoing(prepared, decisions: decisions), group: prepared.group, worker: worker)
    }

    /// Sends `outgoing` on the worker's own handles, blocking until the channel answers.
    package func deliver(_ outgoing: Outgoing, group: [ClaimedAction], worker: WorkerContext) -> [StepResult] {
        switch outgoing {
        case .done(let results):
            return results
        case .send(let message, let channel, let finish):
            guard let sender = worker.channels else {
                return group.map { _ in StepResult(outcome: ActionOutcome(.finished(.failure), message: "no network handle could be allocated")) }
            }
            return finish(channel.send(message, worker: sender))
        }
    }

    /// What a prepared group sends after the gate's decisions: nothing (its results are known),
    /// or one message on one channel, whose per-receiver results `finish` turns into the
    /// group's results. A pass sends a gateway's message through its transfer loop.
    package enum Outgoing {
        case done([StepResult])
        case send(NoticeMessage, any NoticeChannel, finish: ([String: NoticeResult]) -> [StepResult])
    }

    package func outgoing(_ prepared: Plan, decisions: [GateDecision]) -> Outgoing {
        if let finished = prepared.finished { return .done(finished) }
        var plan = prepared
        let group = plan.group
        guard group.indices.contains(plan.lead), let channel = channels[plan.way] else { return .done([]) }
        let lead = group[plan.lead]
        let way = plan.way
        var folded: [Int64: String] = [:]
        var lost = Set<Int64>()
        for (purpose, decision) in zip(plan.purposes, decisions) {
            switch (purpose, decision) {
            case (_, .leaseLost):
                if case .quota(let id, _) = purpose { lost.insert(id) } else { lost.formUnion(group.map(\.id)) }
            case (.quota(let id, let receiver), .folded(let at)):
                let cap = plan.cap ?? RecipientCap(max: 0, window: 0)
                folded[id] = "folded into \(receiver)'s \(way) digest: cap of \(cap.max) per \(cap.window) s reached; the digest goes out at \(TimeParser.iso(at))"
                plan.addressesOf[id] = nil
            case (.voice, .heldBy(let holder)):
                let message = "voice alarm defended by package (action \(holder)): the same receivers get one call per \(plan.voiceWindow) s"
                return .done(group.map { _ in StepResult(outcome: ActionOutcome(.failed(.systemAbort, retryAfter: nil), message: message)) })
            default: break
            }
        }
        // A notice whose claim is gone sends nothing: its outcome would be discarded anyway.
        for id in lost { plan.addressesOf[id] = nil }
        var seen = Set<String>()
        let all = group.flatMap { plan.addressesOf[$0.id] ?? [] }.filter { seen.insert($0).inserted }
        let sent = plan
        let finish = { (results: [String: NoticeResult]) -> [StepResult] in
            let outputs: [String: JSONValue] = ["title": .string(sent.title), "message": .string(sent.content)]
            return group.map { a in
                if lost.contains(a.id) { return StepResult(outcome: .failure("not sent: the claim on this notice was lost", type: .frameworkCode)) }
                if let why = sent.missing[a.id] { return StepResult(outcome: ActionOutcome(.finished(.failure), message: why)) }
                if let why = folded[a.id] { return StepResult(outcome: ActionOutcome(.finished(.skipped), message: why, outputs: outputs)) }
                let mine = (sent.addressesOf[a.id] ?? []).compactMap { results[$0] }
                let shared = all.count > 1 ? " (one message to \(all.count) receivers)" : ""
                if let ok = mine.first(where: \.ok) {
                    return StepResult(outcome: .success("\(way) sent\(shared): \(TextLimit.excerpt(ok.message))", outputs: outputs),
                                      detail: "\(way) to \(all.count) receivers")
                }
                let why = mine.first?.message ?? "no result for this receiver"
                return StepResult(outcome: ActionOutcome(.finished(.failure), message: "\(way) send failed\(shared): \(why)", outputs: outputs),
                                  detail: "\(way) to \(all.count) receivers")
            }
        }
        guard !all.isEmpty else { return .done(finish([:])) }
        return .send(NoticeMessage(way: way, receivers: all, title: plan.title, content: plan.content,
                                   idempotencyKey: WebhookProcessor.idempotencyKey(lead)), channel, finish: finish)
    }
}
