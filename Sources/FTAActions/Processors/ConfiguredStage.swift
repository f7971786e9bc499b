import FTAConfig
import FTACore

extension FTAConfig {
    /// The creation stage this configuration describes, checking configs with `registry`.
    package func creationStage(registry: ProcessorRegistry) -> CreationStage {
        var stage = CreationStage(configs: actionConfigs, directory: directory)
        stage.messageQueue = messageQueue.isEnabled
        stage.pushShieldedAlerts = messageQueue.pushShieldedAlerts
        stage.validate = { type, config in
            // Message-queue and later plugin types are stored even when this build cannot run
            // them yet; notice and webhook configs are checked now.
            guard registry.processor(for: type) != nil else { return }
            try registry.validate(pluginType: type, actionConfig: config)
        }
        return stage
    }
}
