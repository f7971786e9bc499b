import Foundation
import FTACore
import FTATemplates
import FTATransport

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
package struct ScriptProcessor: ActionProcessor {
    package let pluginType = PluginType.script
    let allowed: [String]
    /// `tick.script_env`: when set, the only names an action's `env` may set.
    let allowedEnvironment: Set<String>?

    package init(allowed: [String], allowedEnvironment: [String]? = nil) {
        self.allowed = allowed
        self.allowedEnvironment = allowedEnvironment.map(Set.init)
    }

    static let prefix = "action_config.execute_config.template_detail"
    static let detailKeys = Set(["command", "env", "cwd", "timeout", "failed_retry", "max_output"]).union(PollSettings.keys)
    /// Variables an action may never set, whatever `tick.script_env` says: they make the
    /// dynamic loader, a shell or an interpreter load code of the setter's choosing, or they
    /// replace the fixed `PATH`. Names starting with these prefixes are refused too.
    package static let forbiddenEnvironment: Set<String> = [
        "PATH", "IFS", "ENV", "BASH_ENV", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND", "CDPATH", "GLOBIGNORE",
        "NODE_OPTIONS", "NODE_PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONUSERBASE",
        "PERL5LIB", "PERLLIB", "PERL5OPT", "PERL5DB", "RUBYLIB", "RUBYOPT", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS", "CLASSPATH", "GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN", "LOCPATH",
        "NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR", "TZDIR", "GLIBC_TUNABLES", "OPENSSL_CONF",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXEC_PATH", "EDITOR", "VISUAL", "PAGER",
    ]
    package static let forbiddenPrefixes = ["LD_", "DYLD_", "MALLOC_", "BASH_FUNC_", "FTA_"]

    func isAllowed(_ program: String) -> Bool {
        let path = (program as NSString).standardizingPath
        return allowed.contains { entry in entry.hasSuffix("/") ? path.hasPrefix(entry) : path == (entry as NSString).standardizingPath }
    }

    /// Why an action may not set `name`, or nil.
    func environmentProblem(_ name: String) -> String? {
        if let why = WireCheck.environmentName(name) { return "'\(MessageText.escaped(name))' is not a variable name: it \(why)" }
        let upper = name.uppercased()
        if ScriptProcessor.forbiddenEnvironment.contains(upper) || ScriptProcessor.forbiddenPrefixes.contains(where: { upper.hasPrefix($0) }) {
            return "\(name) may not be set by an action (it would let the action choose what code runs, or it is fta's own)"
        }
        if let allowedEnvironment, !allowedEnvironment.contains(name) {
            return "\(name) is not in tick.script_env"
        }
        return nil
    }

    package func validate(actionConfig: JSONValue) throws {
        let detail = actionConfig["execute_config"]?["template_detail"] ?? .null
        let p = ScriptProcessor.prefix
        try KnownKeys.check(detail, allowed: ScriptProcessor.detailKeys, field: p)
        try PollSettings.validate(detail, field: p)
        guard let command = detail["command"]?.arrayValue, !command.isEmpty else {
            throw FieldError("\(p).command", "missing: the program and its arguments as a list")
        }
        let args = try command.enumerated().map { i, v -> String in
            guard let s = v.scalarText else { throw FieldError("\(p).command[\(i)]", "expected a string") }
            if let why = WireCheck.processText(s) { throw FieldError("\(p).command[\(i)]", why) }
            return s
        }
        guard args[0].hasPrefix("/"), !TemplateRenderer.isTemplate(args[0]) else {
            throw FieldError("\(p).command[0]", "the program must be an absolute path, not a template")
        }
        guard !allowed.isEmpty else {
            throw FieldError("\(p).command[0]", "script actions are off: list the programs they may run in tick.allowed_scripts")
        }
        guard isAllowed(args[0]) else {
            throw FieldError("\(p).command[0]", "'\(args[0])' is not in tick.allowed_scripts")
        }
        if let env = detail["env"], !env.isNull {
            guard case .object(let vars) = env else { throw FieldError("\(p).env", "expected a mapping of names to values") }
            for name in vars.keys.sorted() {
                if let why = environmentProblem(name) { throw FieldError("\(p).env.\(name)", why) }
                guard let value = vars[name]?.scalarText else { throw FieldError("\(p).env.\(name)", "expected a text value") }
                if let why = WireCheck.processText(value) { throw FieldError("\(p).env.\(name)", why) }
            }
        }
        if let c = detail["cwd"], !c.isNull {
            guard let cwd = c.stringValue, cwd.hasPrefix("/"), !TemplateRenderer.isTemplate(cwd) else {
                throw FieldError("\(p).cwd", "expected an absolute folder path")
            }
            if let why = WireCheck.processText(cwd) { throw FieldError("\(p).cwd", why) }
        }
        if let t = detail["timeout"], !t.isNull {
            guard let v = t.doubleValue, v > 0, v <= 7200 else { throw FieldError("\(p).timeout", "expected seconds in 1...7200") }
        }
        if let m = detail["max_output"], !m.isNull {
            guard let v = m.intValue, (1...(16 << 20)).contains(v) else { throw FieldError("\(p).max_output", "expected bytes in 1...16777216") }
        }
        _ = try RetrySettings.parse(detail["failed_retry"], field: "\(p).failed_retry")
    }

    package func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult {
        let config = action.json(\.actionConfig)
        let detail = config["execute_config"]?["template_detail"] ?? .null
        let retry = (try? RetrySettings.parse(detail["failed_retry"], field: "")) ?? RetrySettings()
        let policy = retry.policy(retryAfterCap: worker.settings.retryAfterCap, jitter: worker.settings.retryJitter)
        // Checked again: the config may have changed since the row was stored, or the row was
        // written by something other than fta's enqueue.
        do { try validate(actionConfig: config) } catch {
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "not run: \(error)"), policy: policy)
        }
        let context = ActionContext.context(action, configs: nil, original: worker.settings.templateContext, now: worker.clock.now())
        func render(_ s: String, _ field: String) throws -> String {
            let out = TemplateRenderer.isTemplate(s) ? try worker.renderer.render(s, field: "\(ScriptProcessor.prefix).\(field)", context: context) : s
            if let why = WireCheck.processText(out) { throw FieldError("\(ScriptProcessor.prefix).\(field)", "rendered value \(why)") }
            return out
        }
        var argv: [String] = []
        var environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                           "FTA_ACTION_ID": String(action.id), "FTA_SIGNAL": action.signal]
        if let alert = action.json(\.alert)["id"]?.scalarText, WireCheck.processText(alert) == nil { environment["FTA_ALERT_ID"] = alert }
        do {
            for (i, v) in (detail["command"]?.arrayValue ?? []).enumerated() { argv.append(try render(v.scalarText ?? "", "command[\(i)]")) }
            for (k, v) in detail["env"]?.objectValue ?? [:] { environment[k] = try render(v.scalarText ?? "", "env.\(k)") }
        } catch {
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "\(error)"), policy: policy)
        }
        let cwd = detail["cwd"]?.stringValue
        if let cwd {
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: cwd, isDirectory: &isDir) {
                return StepResult(outcome: .failure("\(argv[0]) not started: its working folder \(cwd) (template_detail.cwd) does not exist", type: .executeError),
                                  policy: policy, detail: argv[0])
            }
            if !isDir.boolValue {
                return StepResult(outcome: .failure("\(argv[0]) not started: its working folder \(cwd) (template_detail.cwd) is not a folder", type: .executeError),
                                  policy: policy, detail: argv[0])
            }
        }
        let timeout = detail["timeout"]?.doubleValue ?? Double(config["execute_config"]?["timeout"]?.intValue ?? 600)
        let maxOutput = Int(detail["max_output"]?.intValue ?? 65536)
        let result: ProcessRunner.Result
        do {
            result = try ProcessRunner.run(argv, environment: environment, directory: cwd, timeout: timeout, maxOutput: maxOutput)
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
