import FTAConfig
import FTACore

/// The processors this build can run, by plugin type.
package struct ProcessorRegistry: Sendable {
    private var processors: [String: any ActionProcessor] = [:]
    /// Runs actions that wait for approval (`waiting`), whatever their plugin type.
    package var approval = ApprovalFlow(system: nil, serviceId: nil)

    package init(_ list: [any ActionProcessor]) {
        for p in list { processors[p.pluginType.rawValue] = p }
    }

    package static func standard(config: FTAConfig = FTAConfig()) -> ProcessorRegistry {
        var registry = ProcessorRegistry([
            WebhookProcessor(settings: config.tick),
            NoticeProcessor(channels: NoticeChannels.make(config.channels), directory: config.directory, templates: config.templates, caps: config.recipientCaps),
            MessageQueueProcessor(settings: config.messageQueue),
            ScriptProcessor(allowed: config.tick.allowedScripts, allowedEnvironment: config.tick.scriptEnvironment),
        ] + StepProcessor.all(config: config))
        registry.approval = ApprovalFlow(system: config.remote["itsm"], serviceId: config.approvalServiceId)
        return registry
    }

    package func processor(for pluginType: String) -> (any ActionProcessor)? { processors[pluginType] }

    package var supportedTypes: [String] { processors.keys.sorted() }

    /// Enqueue-time check: the plugin type must have a processor here, and its config must be complete.
    /// `execute_config` keys (the original's `ExecuteConfigSlz`, plus fta's `failed_retry`
    /// fallback); the keys inside `template_detail` are each processor's.
    static let executeConfigKeys: Set<String> = ["template_id", "template_detail", "timeout", "failed_retry"]

    package func validate(pluginType: String, actionConfig: JSONValue) throws {
        guard let p = processors[pluginType] else {
            throw FieldError("action_plugin.plugin_type", "'\(pluginType)' is not supported by this version of fta (supported: \(supportedTypes.joined(separator: ", ")))")
        }
        if let exec = actionConfig["execute_config"], !exec.isNull {
            guard exec.objectValue != nil else { throw FieldError("action_config.execute_config", "expected an object") }
            try KnownKeys.check(exec, allowed: ProcessorRegistry.executeConfigKeys, field: "action_config.execute_config")
            if let t = exec["timeout"], !t.isNull {
                guard t.boolValue == nil, let seconds = t.intValue, (60...7200).contains(seconds) else {
                    throw FieldError("action_config.execute_config.timeout", "\(t.scalarText ?? t.typeName) is out of range 60...7200 seconds")
                }
            }
        }
        try p.validate(actionConfig: actionConfig)
    }
}
