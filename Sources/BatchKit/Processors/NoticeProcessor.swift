import Foundation

/// Notice actions (`plugin_type: notice`, reference §3.1).
///
/// A parent (`is_parent_action`) carries `inputs.notify_info` and finishes at once; its final
/// status is aggregated from its children by the store. A child carries `inputs.notice_way` and
/// `inputs.notice_receiver` (a user id, a bot chat id, or for voice a list of user ids).
/// Children of one signal, way and alert set claimed together go out as one message to all
/// their receivers (voice never merges); each child records the result for its own receiver.
public struct NoticeProcessor: ActionProcessor {
    public let pluginType = PluginType.notice
    let channels: [String: any NoticeChannel]
    let directory: UserDirectory
    let templates: NoticeTemplates
    /// Per-recipient caps by way; beyond the cap, notices fold into a digest.
    let caps: [String: RecipientCap]

    public init(channels: [String: any NoticeChannel], directory: UserDirectory, templates: NoticeTemplates, caps: [String: RecipientCap] = [:]) {
        self.channels = channels
        self.directory = directory
        self.templates = templates
        self.caps = caps
    }

    static let detailKeys = Set(["template", "voice_notice"]).union(PollSettings.keys)
    static let templateKeys: Set<String> = ["signal", "title_tmpl", "message_tmpl"]

    public func validate(actionConfig: JSONValue) throws {
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
        let inputs = action.json(\.inputs)
        guard let way = inputs["notice_way"]?.stringValue, !way.isEmpty else { return nil }
        let receivers: [String]
        switch inputs["notice_receiver"] {
        case .array(let list)?: receivers = list.compactMap(\.scalarText)
        case let v?: receivers = v.scalarText.map { [$0] } ?? []
        case nil: receivers = []
        }
        return Child(way: way, receivers: receivers, followed: inputs["followed"]?.boolValue ?? false)
    }

    public func mergeKey(for action: ClaimedAction) -> String? {
        // Digests (`collect`) are one per receiver and never merged; nor is voice.
        guard !action.isParentAction, action.nextStep == "execute", action.signal != "collect", let c = NoticeProcessor.child(action), c.way != "voice" else { return nil }
        return "\(action.signal)|\(c.followed ? "follower_" : "")\(c.way)|\(action.text.alerts)"
    }

    public func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult {
        run(group: [action], worker: worker)[0]
    }

    public func run(group: [ClaimedAction], worker: WorkerContext) -> [StepResult] {
        guard let first = group.first else { return [] }
        if first.isParentAction {
            return group.map { parent in
                let inputs = parent.json(\.inputs)
                if inputs["is_alert_shielded"]?.boolValue == true {
                    let detail = inputs["shield_detail"]?.scalarText ?? ""
                    return StepResult(outcome: ActionOutcome(.finished(.skipped), message: "alert shielded: no notice" + (detail.isEmpty ? "" : " (\(detail))")))
                }
                let info = inputs["notify_info"]?.objectValue ?? [:]
                let empty = info.values.allSatisfy { ($0.arrayValue ?? []).isEmpty }
                return StepResult(outcome: empty ? ActionOutcome(.finished(.skipped), message: "no receivers for this notice")
                                                 : .success("notice parent: the children carry the sends"))
            }
        }
        func failAll(_ message: String) -> [StepResult] {
            group.map { _ in StepResult(outcome: ActionOutcome(.finished(.failure), message: message)) }
        }
        guard let c = NoticeProcessor.child(first) else { return failAll("notice config empty: inputs.notice_way is missing") }
        guard let channel = channels[c.way] else { return failAll("no channel configured for notice way '\(c.way)' (channels.\(c.way))") }

        // Receivers' addresses on this way; a receiver without one fails on its own.
        var addressesOf: [Int64: [String]] = [:]
        var missing: [Int64: String] = [:]
        for a in group {
            let receivers = NoticeProcessor.child(a)?.receivers ?? []
            if c.way == "wxwork-bot" { addressesOf[a.id] = receivers; continue }
            let found = receivers.compactMap { directory.address(of: $0, on: c.way) }
            if found.isEmpty { missing[a.id] = "no \(c.way) address for \(receivers.joined(separator: ", ")) (users.<id>)" } else { addressesOf[a.id] = found }
        }
        var results: [String: NoticeResult] = [:]
        var title = "", content = ""
        var folded: [Int64: String] = [:]
        var all: [String] = []
        if !addressesOf.isEmpty {
            do {
                let base = ActionContext.build(first)
                let actionTemplates = first.json(\.actionConfig)["execute_config"]?["template_detail"]?["template"]
                (title, content) = try NoticeRendering.render(templates: templates, signal: first.signal, way: c.way, level: first.alertLevel,
                                                             base: base, actionTemplates: actionTemplates, renderer: worker.renderer)
            } catch {
                return failAll("\(error)")
            }
            // Circuit breaker, notice stage: hold the rendered send for fta-replay instead.
            if let rules = worker.breaker.match(BreakerMatcher.dimensions(of: first)) {
                let ids = rules.map { String($0.id) }.joined(separator: ",")
                let outputs: [String: JSONValue] = ["title": .string(title), "message": .string(content)]
                return group.map { a in
                    if let why = missing[a.id] { return StepResult(outcome: ActionOutcome(.finished(.failure), message: why)) }
                    let send: JSONValue = [
                        "channel": .string(c.way), "way": .string(c.way),
                        "receivers": .array((NoticeProcessor.child(a)?.receivers ?? []).map { .string($0) }),
                        "addresses": .array((addressesOf[a.id] ?? []).map { .string($0) }),
                        "title": .string(title), "content": .string(content), "signal": .string(a.signal),
                    ]
                    return StepResult(outcome: ActionOutcome(.finished(.blocked), message: "\(c.way) notice circuit-broken by breaker rule \(ids)", outputs: outputs,
                                                             exData: ["circuit_breaking": true, "breaker_rule": .int(rules[0].id), "retry_params": [send]]),
                                      detail: "held by breaker rule \(ids)")
                }
            }
            // Per-recipient cap: a receiver past it gets this notice in a digest later instead.
            if let cap = caps[c.way], c.way != "voice", first.signal != "collect", let gate = worker.dedupe {
                let alertId = (try? JSONParser.parse(first.text.alerts).arrayValue?.first?.scalarText) ?? nil
                for a in group where addressesOf[a.id] != nil {
                    guard let receiver = NoticeProcessor.child(a)?.receivers.first else { continue }
                    do {
                        if let at = try gate.admit(way: c.way, receiver: receiver, cap: cap.max, window: cap.window, now: worker.clock.now(),
                                                   fold: DigestItem(title: title, alertId: alertId ?? "", bkBizId: a.bkBizId)) {
                            folded[a.id] = "folded into \(receiver)'s \(c.way) digest: cap of \(cap.max) per \(cap.window) s reached; the digest goes out at \(TimeParser.iso(at))"
                            addressesOf[a.id] = nil
                        }
                    } catch {
                        return failAll("recipient cap unavailable: \(error)")
                    }
                }
            }
            var seen = Set<String>()
            all = group.flatMap { addressesOf[$0.id] ?? [] }.filter { seen.insert($0).inserted }
        }
        if !all.isEmpty {
            guard let sender = worker.channels else { return failAll("no network handle could be allocated") }
            // Voice: one call per identical receiver list per window, across passes.
            if c.way == "voice", let window = (channel as? GatewayChannel)?.dedupeWindow, window > 0, let gate = worker.dedupe {
                do {
                    if let holder = try gate.claim("voice|" + all.joined(separator: ","), actionId: first.id, now: worker.clock.now(), window: window) {
                        let message = "voice alarm defended by package (action \(holder)): the same receivers get one call per \(window) s"
                        return group.map { _ in StepResult(outcome: ActionOutcome(.failed(.systemAbort, retryAfter: nil), message: message)) }
                    }
                } catch {
                    return group.map { _ in StepResult(outcome: .failure("voice de-dupe unavailable: \(error)", type: .frameworkCode)) }
                }
            }
            results = channel.send(NoticeMessage(way: c.way, receivers: all, title: title, content: content,
                                                 idempotencyKey: WebhookProcessor.idempotencyKey(first)), worker: sender)
        }
        let outputs: [String: JSONValue] = ["title": .string(title), "message": .string(content)]
        return group.map { a in
            if let why = missing[a.id] { return StepResult(outcome: ActionOutcome(.finished(.failure), message: why)) }
            if let why = folded[a.id] { return StepResult(outcome: ActionOutcome(.finished(.skipped), message: why, outputs: outputs)) }
            let mine = (addressesOf[a.id] ?? []).compactMap { results[$0] }
            let shared = all.count > 1 ? " (one message to \(all.count) receivers)" : ""
            if let ok = mine.first(where: \.ok) {
                return StepResult(outcome: .success("\(c.way) sent\(shared): \(TextLimit.excerpt(ok.message))", outputs: outputs),
                                  detail: "\(c.way) to \(all.count) receivers")
            }
            let why = mine.first?.message ?? "no result for this receiver"
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "\(c.way) send failed\(shared): \(why)", outputs: outputs),
                              detail: "\(c.way) to \(all.count) receivers")
        }
    }
}
