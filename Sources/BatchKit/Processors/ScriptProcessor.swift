import Foundation

/// Local script actions (`plugin_type: script`, new in fta): run a configured program with an
/// argv list — arguments may be templates, and are never passed through a shell — with an
/// environment, a working directory and a timeout that kills the process group. Success is exit
/// code 0; stdout and stderr (truncated) are kept in outputs. Only programs listed in
/// `tick.allowed_scripts` may run, so an action config arriving with an event cannot run
/// anything else.
///
/// ```yaml
/// execute_config:
///   template_detail:
///     command: [/usr/local/bin/restart-service, "--host", "{{ alert.event.ip }}"]
///     env: {SERVICE: nginx}
///     cwd: /var/lib/fta
///     timeout: 60
///     failed_retry: {max_retry_times: 1, retry_interval: 30}
/// ```
public struct ScriptProcessor: ActionProcessor {
    public let pluginType = PluginType.script
    let allowed: [String]

    public init(allowed: [String]) { self.allowed = allowed }

    static let prefix = "action_config.execute_config.template_detail"

    func isAllowed(_ program: String) -> Bool {
        let path = (program as NSString).standardizingPath
        return allowed.contains { entry in entry.hasSuffix("/") ? path.hasPrefix(entry) : path == (entry as NSString).standardizingPath }
    }

    public func validate(actionConfig: JSONValue) throws {
        let detail = actionConfig["execute_config"]?["template_detail"] ?? .null
        guard let command = detail["command"]?.arrayValue, !command.isEmpty else {
            throw FieldError("\(ScriptProcessor.prefix).command", "missing: the program and its arguments as a list")
        }
        let args = try command.map { v -> String in
            guard let s = v.scalarText else { throw FieldError("\(ScriptProcessor.prefix).command", "expected strings") }
            return s
        }
        guard args[0].hasPrefix("/"), !TemplateRenderer.isTemplate(args[0]) else {
            throw FieldError("\(ScriptProcessor.prefix).command[0]", "the program must be an absolute path, not a template")
        }
        guard !allowed.isEmpty else {
            throw FieldError("\(ScriptProcessor.prefix).command[0]", "script actions are off: list the programs they may run in tick.allowed_scripts")
        }
        guard isAllowed(args[0]) else {
            throw FieldError("\(ScriptProcessor.prefix).command[0]", "'\(args[0])' is not in tick.allowed_scripts")
        }
        if let env = detail["env"], !env.isNull, env.objectValue == nil { throw FieldError("\(ScriptProcessor.prefix).env", "expected a mapping of names to values") }
        if let t = detail["timeout"], !t.isNull, (t.doubleValue ?? 0) <= 0 { throw FieldError("\(ScriptProcessor.prefix).timeout", "expected seconds") }
    }

    public func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult {
        let config = action.json(\.actionConfig)
        let detail = config["execute_config"]?["template_detail"] ?? .null
        let retry = detail["failed_retry"]
        let policy = RetryPolicy(maxRetryTimes: Int(retry?["max_retry_times"]?.intValue ?? -1), retryInterval: retry?["retry_interval"]?.doubleValue ?? 0,
                                 retryAfterCap: worker.settings.retryAfterCap, jitter: worker.settings.retryJitter)
        do { try validate(actionConfig: config) } catch {
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "\(error)"), policy: policy)
        }
        let context = TemplateRenderer.Context(ActionContext.build(action))
        func render(_ s: String, _ field: String) throws -> String {
            TemplateRenderer.isTemplate(s) ? try worker.renderer.render(s, field: "\(ScriptProcessor.prefix).\(field)", context: context) : s
        }
        var argv: [String] = []
        var environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                           "FTA_ACTION_ID": String(action.id), "FTA_SIGNAL": action.signal]
        if let alert = action.json(\.alert)["id"]?.scalarText { environment["FTA_ALERT_ID"] = alert }
        do {
            for (i, v) in (detail["command"]?.arrayValue ?? []).enumerated() { argv.append(try render(v.scalarText ?? "", "command[\(i)]")) }
            for (k, v) in detail["env"]?.objectValue ?? [:] { environment[k] = try render(v.scalarText ?? "", "env.\(k)") }
        } catch {
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "\(error)"), policy: policy)
        }
        let timeout = detail["timeout"]?.doubleValue ?? Double(config["execute_config"]?["timeout"]?.intValue ?? 600)
        let maxOutput = Int(detail["max_output"]?.intValue ?? 65536)
        let result: ProcessRunner.Result
        do {
            result = try ProcessRunner.run(argv, environment: environment, directory: detail["cwd"]?.stringValue, timeout: timeout, maxOutput: maxOutput)
        } catch {
            return StepResult(outcome: .failure("\(error)", type: .executeError), policy: policy, detail: argv[0])
        }
        let outputs: [String: JSONValue] = [
            "exit_code": result.exitCode.map { .int(Int64($0)) } ?? .null, "stdout": .string(result.stdout), "stderr": .string(result.stderr),
            "output_truncated": .bool(result.truncated),
        ]
        if result.timedOut {
            return StepResult(outcome: ActionOutcome(.failed(.executeError, retryAfter: nil), message: "\(argv[0]) killed after \(timeout) s (timeout), with its process group", outputs: outputs),
                              policy: policy, detail: argv[0])
        }
        if result.exitCode == 0 {
            return StepResult(outcome: .success("\(argv[0]) exited 0: \(TextLimit.excerpt(result.stdout))", outputs: outputs), policy: policy, detail: argv[0])
        }
        let how = result.exitCode.map { "exited \($0)" } ?? "killed by signal \(result.signal ?? 0)"
        return StepResult(outcome: ActionOutcome(.failed(.executeError, retryAfter: nil), message: "\(argv[0]) \(how): \(TextLimit.excerpt(result.stderr.isEmpty ? result.stdout : result.stderr))", outputs: outputs),
                          policy: policy, detail: argv[0])
    }
}
