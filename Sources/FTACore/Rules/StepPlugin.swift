/// A remote action as a chain of HTTP steps (original-system.md §3.3): each step is a request built from
/// templates, values picked out of the response into `outputs`, and what comes next: the
/// action is finished (`finished_rule` / `success_rule`), the same step is polled again
/// (`need_schedule`, every `schedule_timedelta` seconds), or the next step runs
/// (`next_function`). Between passes the row's due time and `next_step` carry the chain.
///
/// The built-in JOB, SOPS and ITSM plugins are written in the same format users write their own
/// in (`plugins:` in the config file).
package struct StepPlugin: Sendable, Equatable {
    package var type: String
    package var key: String
    /// The remote system whose URL and credentials the steps use (`job`, `sops`, `itsm`, ...).
    package var system: String
    package var firstStep: String
    package var steps: [String: Step]
    /// Try each assignee as the API user, moving on when the API answers with one of these
    /// codes (or HTTP 403); without codes the first assignee is the operator.
    package var deniedCodes: [Int64]

    package struct Step: Sendable, Equatable {
        package var name: String
        package var method: String
        package var url: String
        /// Query parameters (templates), for GET and POST alike.
        package var query: [String: JSONValue]
        /// JSON body: strings are templates; a string that is exactly `{{ a.b }}` is replaced by
        /// the value at that path, keeping its type (numbers, lists, objects).
        package var body: JSONValue?
        /// Output key → a dotted path into `{response, outputs, inputs}`, or a template.
        package var outputs: [(key: String, value: String)]
        package var finishedRule: Rule?
        package var successRule: Rule?
        package var needSchedule: Bool
        package var scheduleAfter: Double
        package var next: String?
        package var nextAfter: Double

        package static func == (a: Step, b: Step) -> Bool {
            a.name == b.name && a.method == b.method && a.url == b.url && a.query == b.query && a.body == b.body
                && a.outputs.map(\.key) == b.outputs.map(\.key) && a.outputs.map(\.value) == b.outputs.map(\.value)
                && a.finishedRule == b.finishedRule && a.successRule == b.successRule && a.needSchedule == b.needSchedule
                && a.scheduleAfter == b.scheduleAfter && a.next == b.next && a.nextAfter == b.nextAfter
        }
    }

    /// `{key, method: equal | in | not in, value}` over the outputs (original-system.md §2.5
    /// `business_rule_validate`); `names` gives a readable name per value for messages.
    package struct Rule: Sendable, Equatable {
        package var key: String
        package var method: String
        package var value: JSONValue
        package var names: [String: String]

        package func matches(_ outputs: [String: JSONValue]) -> Bool {
            guard let v = JSONValue.object(outputs).value(at: key) else { return false }
            func same(_ a: JSONValue, _ b: JSONValue) -> Bool { a == b || (a.scalarText != nil && a.scalarText == b.scalarText) }
            switch method {
            case "equal": return same(v, value)
            case "in": return (value.arrayValue ?? []).contains { same(v, $0) }
            case "not in": return !(value.arrayValue ?? []).contains { same(v, $0) }
            default: return false
            }
        }

        /// `job_state 4 (failed)`.
        package func describe(_ outputs: [String: JSONValue]) -> String {
            let v = JSONValue.object(outputs).value(at: key)?.scalarText ?? "nothing"
            return "\(key) \(v)" + (names[v].map { " (\($0))" } ?? "")
        }
    }

    /// Parses a plugin in the documented format; errors are ``FieldError``s naming the field.
    package static func parse(_ value: JSONValue) throws -> StepPlugin {
        guard case .object(let o) = value else { throw FieldError("", "expected a mapping") }
        guard let type = o["plugin_type"]?.stringValue, !type.isEmpty else { throw FieldError("plugin_type", "missing (job, sops, common, ...)") }
        guard let key = o["plugin_key"]?.stringValue, !key.isEmpty else { throw FieldError("plugin_key", "missing") }
        guard case .object(let stepSpecs)? = o["steps"], !stepSpecs.isEmpty else { throw FieldError("steps", "expected a mapping of step names to steps") }
        var steps: [String: Step] = [:]
        for (name, spec) in stepSpecs { steps[name] = try parseStep(name, spec) }
        let first = o["first_step"]?.stringValue ?? (steps["create_task"] != nil ? "create_task" : stepSpecs.keys.sorted()[0])
        guard steps[first] != nil else { throw FieldError("first_step", "'\(first)' is not one of the steps") }
        for s in steps.values {
            if let n = s.next, steps[n] == nil { throw FieldError("steps.\(s.name).next_function", "'\(n)' is not one of the steps") }
        }
        let denied = try (o["operator_denied_codes"]?.arrayValue ?? []).map { v -> Int64 in
            guard let i = v.intValue else { throw FieldError("operator_denied_codes", "expected API error codes") }
            return i
        }
        return StepPlugin(type: type, key: key, system: o["system"]?.stringValue ?? type, firstStep: first, steps: steps, deniedCodes: denied)
    }

    static func parseStep(_ name: String, _ value: JSONValue) throws -> Step {
        let p = "steps.\(name)"
        guard case .object(let o) = value else { throw FieldError(p, "expected a mapping") }
        let method = (o["method"]?.stringValue ?? "POST").uppercased()
        guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) else { throw FieldError("\(p).method", "'\(method)' is not an HTTP method") }
        guard let url = o["url"]?.stringValue, !url.isEmpty else { throw FieldError("\(p).url", "missing") }
        var query: [String: JSONValue] = [:]
        if let q = o["query"], !q.isNull {
            guard case .object(let qo) = q else { throw FieldError("\(p).query", "expected a mapping") }
            query = qo
        }
        var outputs: [(String, String)] = []
        if let out = o["outputs"], !out.isNull {
            guard case .object(let oo) = out else { throw FieldError("\(p).outputs", "expected a mapping of output keys to paths or templates") }
            for k in oo.keys.sorted() {
                guard let v = oo[k]?.stringValue else { throw FieldError("\(p).outputs.\(k)", "expected a path (response.data.id) or a template") }
                outputs.append((k, v))
            }
        }
        func rule(_ key: String) throws -> Rule? {
            guard let r = o[key], !r.isNull else { return nil }
            guard let k = r["key"]?.stringValue, let m = r["method"]?.stringValue, let v = r["value"] else {
                throw FieldError("\(p).\(key)", "expected {key, method: equal|in|not in, value}")
            }
            guard ["equal", "in", "not in"].contains(m) else { throw FieldError("\(p).\(key).method", "'\(m)' is not one of equal, in, not in") }
            let names = (r["names"]?.objectValue ?? [:]).compactMapValues(\.scalarText)
            return Rule(key: k, method: m, value: v, names: names)
        }
        func seconds(_ key: String, _ fallback: Double) throws -> Double {
            guard let v = o[key], !v.isNull else { return fallback }
            guard let d = v.doubleValue, d >= 0, d <= 86_400 else { throw FieldError("\(p).\(key)", "expected seconds 0...86400") }
            return d
        }
        return Step(name: name, method: method, url: url, query: query, body: o["body"], outputs: outputs,
                    finishedRule: try rule("finished_rule"), successRule: try rule("success_rule"),
                    needSchedule: o["need_schedule"]?.boolValue ?? false, scheduleAfter: try seconds("schedule_timedelta", 5),
                    next: o["next_function"]?.stringValue, nextAfter: try seconds("next_timedelta", 2))
    }

    /// The built-in plugins (original-system.md §3.4–3.6), by plugin key. ITSM tickets are polled to
    /// their end (the original marked them done at creation).
    package static let builtins: [String: StepPlugin] = {
        let jobStates = ["1": "not started", "2": "running", "3": "success", "4": "failed", "5": "skipped", "6": "error ignored",
                         "7": "waiting for user", "8": "terminated by hand", "9": "abnormal", "10": "being terminated", "11": "terminated"]
        let job: JSONValue = [
            "plugin_type": "job", "plugin_key": "job", "system": "job", "operator_denied_codes": [9900403, 1_240_001],
            "steps": [
                "create_task": [
                    "method": "POST", "url": "{{ system.url }}/execute_job_plan/",
                    "body": ["bk_scope_type": "biz", "bk_scope_id": "{{ bk_biz_id }}", "bk_biz_id": "{{ bk_biz_id_int }}",
                             "job_plan_id": "{{ config.template_id }}", "global_var_list": "{{ global_vars }}"],
                    "outputs": ["job_instance_id": "response.data.job_instance_id", "job_instance_name": "response.data.job_instance_name",
                                "url": "{{ system.site_url }}/api_execute/{{ outputs.job_instance_id }}"],
                    "next_function": "schedule", "next_timedelta": 2,
                ],
                "schedule": [
                    "method": "GET", "url": "{{ system.url }}/get_job_instance_status/",
                    "query": ["bk_scope_type": "biz", "bk_scope_id": "{{ bk_biz_id }}", "job_instance_id": "{{ outputs.job_instance_id }}"],
                    "outputs": ["job_state": "response.data.job_instance.status"],
                    "finished_rule": ["key": "job_state", "method": "not in", "value": [1, 2, 7]],
                    "success_rule": ["key": "job_state", "method": "equal", "value": 3, "names": .object(jobStates.mapValues { .string($0) })],
                    "need_schedule": true, "schedule_timedelta": 2,
                ],
            ],
        ]
        func sops(_ key: String, common: Bool) -> JSONValue {
            var create: [String: JSONValue] = ["name": "{{ action_name }}", "constants": "{{ template_detail }}"]
            if common { create["template_source"] = "common" }
            return [
                "plugin_type": "sops", "plugin_key": .string(key), "system": "sops", "operator_denied_codes": [3_599_999, 9900403],
                "steps": [
                    "create_task": [
                        "method": "POST", "url": "{{ system.url }}/create_task/{{ config.template_id }}/{{ bk_biz_id }}/",
                        "body": .object(create),
                        "outputs": ["task_id": "response.data.task_id", "url": "response.data.task_url"],
                        "next_function": "start_task", "next_timedelta": 2,
                    ],
                    "start_task": [
                        "method": "POST", "url": "{{ system.url }}/start_task/{{ outputs.task_id }}/{{ bk_biz_id }}/",
                        "body": ["bk_biz_id": "{{ bk_biz_id_int }}", "task_id": "{{ outputs.task_id }}"],
                        "next_function": "schedule", "next_timedelta": 2,
                    ],
                    "schedule": [
                        "method": "GET", "url": "{{ system.url }}/get_task_status/{{ outputs.task_id }}/{{ bk_biz_id }}/",
                        "outputs": ["task_state": "response.data.state"],
                        "finished_rule": ["key": "task_state", "method": "in", "value": ["FAILED", "FINISHED", "REVOKED"]],
                        "success_rule": ["key": "task_state", "method": "equal", "value": "FINISHED"],
                        "need_schedule": true, "schedule_timedelta": 2,
                    ],
                ],
            ]
        }
        let itsm: JSONValue = [
            "plugin_type": "common", "plugin_key": "itsm", "system": "itsm", "operator_denied_codes": [9900403],
            "steps": [
                "create_task": [
                    "method": "POST", "url": "{{ system.url }}/create_ticket/",
                    "body": ["service_id": "{{ config.template_id }}", "creator": "{{ operator }}", "fields": "{{ template_detail_fields }}",
                             "meta": ["source": "fta"]],
                    "outputs": ["sn": "response.data.sn", "id": "response.data.id", "url": "{{ system.site_url }}/#/ticket/detail?id={{ outputs.id }}"],
                    "next_function": "schedule", "next_timedelta": 2,
                ],
                "schedule": [
                    "method": "GET", "url": "{{ system.url }}/get_ticket_status/", "query": ["sn": "{{ outputs.sn }}"],
                    "outputs": ["ticket_status": "response.data.current_status"],
                    "finished_rule": ["key": "ticket_status", "method": "in", "value": ["FINISHED", "TERMINATED", "REVOKED"]],
                    "success_rule": ["key": "ticket_status", "method": "equal", "value": "FINISHED"],
                    "need_schedule": true, "schedule_timedelta": 5,
                ],
            ],
        ]
        let itsmV4: JSONValue = [
            "plugin_type": "common", "plugin_key": "itsmv4", "system": "itsm_v4", "operator_denied_codes": [9900403],
            "steps": [
                "create_task": [
                    "method": "POST", "url": "{{ system.url }}/api/v1/ticket/create/",
                    "body": ["workflow_key": "{{ config.template_id }}", "form_data": "{{ template_detail }}", "operator": "{{ operator }}"],
                    "outputs": ["sn": "response.data.sn", "id": "response.data.id", "url": "response.data.frontend_url"],
                    "next_function": "schedule", "next_timedelta": 2,
                ],
                "schedule": [
                    "method": "GET", "url": "{{ system.url }}/api/v1/ticket/detail/", "query": ["id": "{{ outputs.id }}"],
                    "outputs": ["ticket_status": "response.data.status"],
                    "finished_rule": ["key": "ticket_status", "method": "in", "value": ["finished", "revoked", "terminated"]],
                    "success_rule": ["key": "ticket_status", "method": "equal", "value": "finished"],
                    "need_schedule": true, "schedule_timedelta": 5,
                ],
            ],
        ]
        var out: [String: StepPlugin] = [:]
        for spec in [job, sops("sops", common: false), sops("sops_common", common: true), itsm, itsmV4] {
            let p = try! StepPlugin.parse(spec)
            out[p.key] = p
        }
        return out
    }()
}
