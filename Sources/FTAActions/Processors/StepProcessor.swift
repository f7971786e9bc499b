import Foundation
import FTAConfig
import FTACore
import FTATemplates

/// Runs one step of a remote action (JOB, SOPS, ITSM, or a user plugin; original-system.md §3.3–3.6)
/// and says what comes next; the pass stores it, so a started job is polled on later passes and
/// a pass never waits for it.
///
/// - API errors (an HTTP 4xx, or `"result": false`) fail the step; the action's retry policy
///   (`execute_config.failed_retry`) runs the same step again.
/// - Framework errors (the API cannot be reached, a 5xx, a response that is not JSON) run the
///   same step again after 5 s, up to 3 attempts, then fail as `framework_code_failure`.
/// - A remote task that ends without success fails the action; a retry starts it anew.
/// - The per-action timeout (`execute_config.timeout`) bounds the whole chain (the sweep).
/// - Each assignee is tried in turn as the API user while the API answers "permission denied";
///   no assignee fails the step with the original's message.
package struct StepProcessor: ActionProcessor {
    package let pluginType: PluginType
    let plugins: [String: StepPlugin]
    let systems: [String: RemoteSystem]

    package static let frameworkRetryDelay: Double = 5
    package static let frameworkAttempts = 3

    package init(pluginType: PluginType, plugins: [String: StepPlugin], systems: [String: RemoteSystem]) {
        self.pluginType = pluginType
        self.plugins = plugins.filter { $0.value.type == pluginType.rawValue }
        self.systems = systems
    }

    /// One processor per plugin type that has step plugins (built-in or the config's).
    package static func all(config: FTAConfig) -> [StepProcessor] {
        var plugins = StepPlugin.builtins
        for (k, p) in config.plugins { plugins[k] = p }
        return Set(plugins.values.map(\.type)).sorted().compactMap { PluginType(rawValue: $0) }
            .map { StepProcessor(pluginType: $0, plugins: plugins, systems: config.remote) }
    }

    package func validate(actionConfig: JSONValue) throws {
        let exec = actionConfig["execute_config"] ?? .null
        _ = try RetrySettings.parse(exec["failed_retry"], field: "action_config.execute_config.failed_retry")
        guard let id = exec["template_id"], id.scalarText.map({ !$0.isEmpty }) == true else {
            throw FieldError("action_config.execute_config.template_id", "missing (the \(pluginType.rawValue) plan, flow or service to start)")
        }
        if let d = exec["template_detail"], !d.isNull, d.objectValue == nil {
            throw FieldError("action_config.execute_config.template_detail", "expected a mapping of variables to values")
        }
    }

    static func policy(_ exec: JSONValue, worker: WorkerContext) -> RetryPolicy {
        let retry = (try? RetrySettings.parse(exec["failed_retry"], field: "")) ?? RetrySettings()
        return retry.policy(retryAfterCap: worker.settings.retryAfterCap, jitter: worker.settings.retryJitter)
    }

    package func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult {
        let config = action.json(\.actionConfig)
        let exec = config["execute_config"] ?? .object([:])
        let policy = StepProcessor.policy(exec, worker: worker)
        let key = JSONParser.member(of: action.text.actionPlugin, "plugin_key")?.stringValue ?? pluginType.rawValue
        guard let plugin = plugins[key] else {
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "no \(pluginType.rawValue) plugin '\(key)' (built-in: \(plugins.keys.sorted().joined(separator: ", ")); others go in plugins:)"))
        }
        guard let system = systems[plugin.system], !system.url.isEmpty else {
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "\(plugin.system).url is not configured: cannot reach the \(plugin.system) API"))
        }
        let stepName = action.nextStep == "execute" ? plugin.firstStep : action.nextStep
        guard let step = plugin.steps[stepName] else {
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "plugin \(plugin.key) has no step '\(stepName)'"))
        }
        var outputs = action.json(\.outputs).objectValue ?? [:]
        // A failed first step is retried as a new execution; a later one by itself.
        let retryStep: String? = stepName == plugin.firstStep ? nil : stepName
        let assignees = (action.json(\.assignee, default: .emptyArray).arrayValue ?? []).compactMap(\.scalarText).filter { !$0.isEmpty }
        if !plugin.deniedCodes.isEmpty, assignees.isEmpty {
            return StepResult(outcome: ActionOutcome(.failed(.executeError, retryAfter: nil), message: "executing \(stepName) failed: assignee list empty",
                                                     retryStep: retryStep), policy: policy)
        }
        // The context the step's templates see.
        // The original's variables only when the step's templates name them.
        let named = worker.renderer.namesOriginalVariables((exec["template_detail"] ?? .null).jsonText)
        var base = ActionContext.build(action, original: named ? worker.settings.templateContext : nil, now: worker.clock.now()).objectValue ?? [:]
        let renderContextOnce = TemplateRenderer.Context(.object(base))
        var detail: [String: JSONValue] = [:]
        do {
            for (k, v) in exec["template_detail"]?.objectValue ?? [:] {
                detail[k] = try worker.renderer.renderLeaves(v, field: "execute_config.template_detail.\(k)", context: renderContextOnce)
            }
        } catch {
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "failed to obtain task parameters: \(error)"), policy: policy)
        }
        let alert = action.json(\.alert)
        base["config"] = exec
        base["template_detail"] = .object(detail)
        base["template_detail_fields"] = .array(detail.keys.sorted().map { ["key": .string($0), "value": detail[$0]!] })
        base["global_vars"] = StepProcessor.globalVars(detail, defaultCloud: alert["event"]?["bk_cloud_id"]?.intValue ?? alert["bk_cloud_id"]?.intValue ?? 0)
        base["bk_biz_id"] = .string(action.bkBizId)
        base["bk_biz_id_int"] = .int(Int64(action.bkBizId) ?? 0)
        base["action_name"] = .string("[FTA]-" + (config["name"]?.stringValue ?? "action \(action.id)"))
        base["system"] = ["url": .string(system.url), "site_url": .string(system.siteURL)]
        base["outputs"] = .object(outputs)

        let candidates = plugin.deniedCodes.isEmpty ? [assignees.first ?? ""] : assignees
        var denied: [String] = []
        let attemptKey = "node_execute_times_\(stepName)"
        for op in candidates {
            base["operator"] = .string(op)
            let request: HTTPRequest
            do {
                request = try StepProcessor.request(step, context: .object(base), renderer: worker.renderer, system: system, operator: op)
            } catch {
                return StepResult(outcome: ActionOutcome(.finished(.failure), message: "failed to obtain task parameters for \(stepName): \(error)"), policy: policy)
            }
            let started = Date()
            let result = worker.http.perform(request)
            let detailText = "\(request.method) \(Redactor.safeURL(request.url)) \(String(format: "%.0f ms", Date().timeIntervalSince(started) * 1000))"
            func framework(_ why: String) -> StepResult {
                let attempts = Int(outputs[attemptKey]?.intValue ?? 0) + 1
                if attempts < StepProcessor.frameworkAttempts {
                    return StepResult(outcome: ActionOutcome(.next(step: stepName, after: StepProcessor.frameworkRetryDelay),
                                                             message: "\(stepName): \(why); again in \(Int(StepProcessor.frameworkRetryDelay)) s (attempt \(attempts + 1) of \(StepProcessor.frameworkAttempts))",
                                                             outputs: [attemptKey: .int(Int64(attempts))]), policy: policy, detail: detailText)
                }
                return StepResult(outcome: ActionOutcome(.failed(.frameworkCode, retryAfter: nil), message: "\(stepName): \(why) (\(attempts) attempts)",
                                                         outputs: [attemptKey: .int(0)], retryStep: retryStep), policy: policy, detail: detailText)
            }
            let response: HTTPResponse
            switch result {
            case .failure(let e): return framework("\(plugin.system) API not reached: \(e)")
            case .success(let r): response = r
            }
            if response.status >= 500 { return framework("\(plugin.system) API answered HTTP \(response.status)") }
            let body = try? JSONParser.parse(response.bodyText)
            let code = body?["code"]?.intValue
            if response.status == 403 || (code.map { plugin.deniedCodes.contains($0) } ?? false) {
                denied.append(op)
                continue
            }
            guard let json = body else {
                if response.status >= 400 {
                    return StepResult(outcome: ActionOutcome(.failed(.executeError, retryAfter: nil),
                                                             message: "\(stepName): \(plugin.system) API answered HTTP \(response.status): \(TextLimit.excerpt(response.bodyText))",
                                                             retryStep: retryStep), policy: policy, detail: detailText)
                }
                return framework("\(plugin.system) API answered with something that is not JSON")
            }
            if response.status >= 400 || json["result"]?.boolValue == false {
                let message = json["message"]?.scalarText ?? TextLimit.excerpt(response.bodyText)
                return StepResult(outcome: ActionOutcome(.failed(.executeError, retryAfter: nil),
                                                         message: "API returned \(message)\(code.map { " (code \($0))" } ?? "") when executing \(stepName) as \(op.isEmpty ? "the app" : op)",
                                                         retryStep: retryStep), policy: policy, detail: detailText)
            }
            // Outputs, in order, each seeing the ones before it.
            var new: [String: JSONValue] = [attemptKey: .int(0)]
            if !plugin.deniedCodes.isEmpty { new["operator"] = .string(op) }
            for (k, spec) in step.outputs {
                var scope = base
                scope["response"] = json
                var so = outputs
                for (nk, nv) in new { so[nk] = nv }
                scope["outputs"] = .object(so)
                if TemplateRenderer.isTemplate(spec) {
                    new[k] = .string((try? worker.renderer.render(spec, field: "\(stepName).outputs.\(k)", context: TemplateRenderer.Context(.object(scope)))) ?? "")
                } else {
                    new[k] = JSONValue.object(scope).value(at: spec) ?? .null
                }
            }
            for (k, v) in new { outputs[k] = v }
            if let finished = step.finishedRule, finished.matches(outputs) {
                if step.successRule.map({ $0.matches(outputs) }) ?? true {
                    return StepResult(outcome: ActionOutcome(.finished(.success), message: "the task succeeded", outputs: new), policy: policy, detail: detailText)
                }
                let state = (step.successRule ?? finished).describe(outputs)
                return StepResult(outcome: ActionOutcome(.failed(.executeError, retryAfter: nil), message: "\(stepName) failed, the task ended with \(state)",
                                                         outputs: new), policy: policy, detail: detailText)
            }
            if step.needSchedule {
                let state = (step.successRule ?? step.finishedRule).map { $0.describe(outputs) } ?? "not finished"
                return StepResult(outcome: ActionOutcome(.next(step: stepName, after: step.scheduleAfter), message: state, outputs: new),
                                  policy: policy, detail: detailText)
            }
            if let next = step.next {
                return StepResult(outcome: ActionOutcome(.next(step: next, after: step.nextAfter), message: "\(stepName) done", outputs: new),
                                  policy: policy, detail: detailText)
            }
            return StepResult(outcome: ActionOutcome(.finished(.success), message: "\(stepName) done", outputs: new), policy: policy, detail: detailText)
        }
        return StepResult(outcome: ActionOutcome(.failed(.executeError, retryAfter: nil),
                                                 message: "API returned permission denied when executing \(stepName) as assignees [\(denied.joined(separator: ", "))]",
                                                 retryStep: retryStep), policy: policy)
    }

    /// The HTTP request of a step: URL, query and body rendered against `context`.
    static func request(_ step: StepPlugin.Step, context: JSONValue, renderer: TemplateRenderer, system: RemoteSystem, operator op: String) throws -> HTTPRequest {
        let ctx = TemplateRenderer.Context(context)
        func render(_ v: JSONValue, _ field: String) throws -> JSONValue {
            switch v {
            case .string(let s):
                if let path = StepProcessor.soleVariable(s) { return context.value(at: path) ?? .null }
                return .string(try renderer.render(s, field: field, context: ctx))
            case .array(let a): return .array(try a.enumerated().map { try render($0.element, "\(field)[\($0.offset)]") })
            case .object(let o):
                var out: [String: JSONValue] = [:]
                for (k, x) in o { out[k] = try render(x, "\(field).\(k)") }
                return .object(out)
            default: return v
            }
        }
        var url = try renderer.render(step.url, field: "\(step.name).url", context: ctx)
        if let why = WireCheck.url(url) { throw FieldError("\(step.name).url", "rendered url \(why)") }
        if !step.query.isEmpty {
            var parts: [String] = []
            for k in step.query.keys.sorted() {
                let v = try render(step.query[k]!, "\(step.name).query.\(k)")
                parts.append(percent(k) + "=" + percent(v.scalarText ?? v.jsonText))
            }
            url += (url.contains("?") ? "&" : "?") + parts.joined(separator: "&")
        }
        var headers: [(String, String)] = [("Accept", "application/json")]
        let auth: JSONValue = ["bk_app_code": .string(system.appCode), "bk_app_secret": .string(system.appSecret), "bk_username": .string(op)]
        headers.append(("X-Bkapi-Authorization", auth.jsonText))
        var body: [UInt8] = []
        if let b = step.body, step.method != "GET" {
            body = Array(try render(b, "\(step.name).body").jsonText.utf8)
            headers.append(("Content-Type", "application/json"))
        }
        return HTTPRequest(method: step.method, url: url, headers: headers, body: body, timeout: system.timeout, verifyTLS: system.verifyTLS)
    }

    /// `a.b.c` when `s` is exactly one `{{ a.b.c }}` with no filter.
    static func soleVariable(_ s: String) -> String? {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("{{"), t.hasSuffix("}}"), t.count > 4 else { return nil }
        let inner = t.dropFirst(2).dropLast(2).trimmingCharacters(in: .whitespaces)
        guard !inner.isEmpty, inner.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else { return nil }
        return inner
    }

    static func percent(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    /// JOB global variables from `template_detail` keys `<var_id>_<category>` (original-system.md §3.4):
    /// category 3 is a host list (`cloud:ip;ip`, the cloud defaulting to the alert's), others a value.
    package static func globalVars(_ detail: [String: JSONValue], defaultCloud: Int64) -> JSONValue {
        var out: [JSONValue] = []
        for key in detail.keys.sorted() {
            let parts = key.split(separator: "_")
            guard parts.count >= 2, let id = Int64(parts[0]) else { continue }
            let value = detail[key]!.scalarText ?? detail[key]!.jsonText
            if parts.last == "3" {
                let hosts: [JSONValue] = value.split(separator: ";").compactMap { item in
                    let h = item.trimmingCharacters(in: .whitespaces)
                    guard !h.isEmpty else { return nil }
                    if let colon = h.firstIndex(of: ":"), let cloud = Int64(h[..<colon]) {
                        return ["bk_cloud_id": .int(cloud), "ip": .string(String(h[h.index(after: colon)...]))]
                    }
                    return ["bk_cloud_id": .int(defaultCloud), "ip": .string(h)]
                }
                out.append(["id": .int(id), "server": ["ip_list": .array(hosts)]])
            } else {
                out.append(["id": .int(id), "value": .string(value)])
            }
        }
        return .array(out)
    }
}
