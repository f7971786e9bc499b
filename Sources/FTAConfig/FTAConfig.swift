import Foundation
import FTACore

/// The YAML configuration shared by all commands (architecture.md, "Contracts").
///
/// Every section is optional; without a file the built-in defaults serve. Strings may
/// reference environment variables as `${NAME}` so that files holding no secrets can be
/// committed. Sections that later commands read are kept as raw JSON in ``sections``.
package struct FTAConfig: Sendable {
    package var database = DatabaseSettings()
    package var tick = TickSettings()
    /// Notice channels by way (`channels:`).
    package var channels: [String: ChannelSettings.Way] = [:]
    /// Per-recipient caps by way (`channels.<way>.recipient_cap`).
    package var recipientCaps: [String: RecipientCap] = [:]
    /// Notice templates (`templates:`).
    package var templates = NoticeTemplates()
    /// Users and user groups (`users:`, `user_groups:`).
    package var directory = UserDirectory()
    /// Action configs ("packages") by id (`action_configs:`), for `fta-tick ingest`.
    package var actionConfigs: [Int64: JSONValue] = [:]
    /// `message_queue:`.
    package var messageQueue = MessageQueueSettings()
    /// `elasticsearch:` (fta-sync).
    package var elasticsearch = ElasticsearchSettings()
    /// Remote systems for JOB, SOPS and ITSM actions by name (`job`, `sops`, `itsm`, `itsm_v4`,
    /// and `remote:` entries for user plugins).
    package var remote: [String: RemoteSystem] = [:]
    /// User step plugins (`plugins:`), by plugin key; the built-ins are in ``StepPlugin/builtins``.
    package var plugins: [String: StepPlugin] = [:]
    /// `itsm.approval_service_id`: the ITSM service of defense approval tickets.
    package var approvalServiceId: Int64?
    package var sections: [String: JSONValue] = [:]
    /// The file it was read from, for messages.
    package var source: String = "(defaults)"

    package static let knownSections: [String] = [
        "database", "tick", "channels", "users", "user_groups", "action_configs", "templates",
        "elasticsearch", "job", "sops", "itsm", "remote", "plugins", "message_queue", "breaker", "rota", "sync", "replay",
    ]

    package init() {}

    /// Loads `path`, or returns defaults when `path` is nil.
    package static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> FTAConfig {
        guard let path else { return FTAConfig() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FTAError.config("config \(path): cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FTAError.config("config \(path): not UTF-8 text")
        }
        return try parse(text, source: path, environment: environment)
    }

    package static func parse(_ text: String, source: String, environment: [String: String] = [:]) throws -> FTAConfig {
        var config = FTAConfig()
        config.source = source
        guard let root = try YAMLDocument.load(text, name: "config \(source)", environment: environment) else { return config }
        guard case .object(let top) = root else {
            throw FTAError.config("config \(source): the top level must be a mapping of sections")
        }
        for key in top.keys.sorted() where !knownSections.contains(key) {
            throw FTAError.config("config \(source): unknown section '\(key)' (known: \(knownSections.joined(separator: ", ")))")
        }
        let reader = ConfigReader(source: source)
        if let db = top["database"] { config.database = try DatabaseSettings(db, reader: reader.at("database")) }
        if let tick = top["tick"] { config.tick = try TickSettings(tick, reader: reader.at("tick")) }
        if let channels = top["channels"] {
            (config.channels, config.recipientCaps) = try ChannelSettings.parseWithCaps(channels, reader: reader.at("channels"))
        }
        if let t = top["templates"] { config.templates = try TemplateSettings.parse(t, reader: reader) }
        config.directory = try UserSettings.parse(users: top["users"], groups: top["user_groups"], reader: reader)
        if let es = top["elasticsearch"] { config.elasticsearch = try ElasticsearchSettings(es, reader: reader.at("elasticsearch")) }
        if let a = top["action_configs"] { config.actionConfigs = try parseActionConfigs(a, source: source) }
        if let mq = top["message_queue"], !mq.isNull {
            config.messageQueue = try MessageQueueSettings(mq, reader: reader.at("message_queue"))
        }
        if let v = top["job"], !v.isNull { config.remote["job"] = try RemoteSystem.parse(v, reader: reader.at("job")).0 }
        if let v = top["sops"], !v.isNull { config.remote["sops"] = try RemoteSystem.parse(v, reader: reader.at("sops")).0 }
        if let v = top["itsm"], !v.isNull {
            let (s, more) = try RemoteSystem.parse(v, reader: reader.at("itsm"), extra: ["v4_url", "approval_service_id"])
            config.remote["itsm"] = s
            if let id = more["approval_service_id"] {
                guard let n = Int64(id) else { throw reader.at("itsm").fail("approval_service_id", "expected the numeric id of an ITSM service") }
                config.approvalServiceId = n
            }
            if let v4 = more["v4_url"] {
                var s4 = s
                s4.url = v4
                config.remote["itsm_v4"] = s4
            }
        }
        if let v = top["remote"], !v.isNull {
            guard case .object(let byName) = v else { throw reader.fail("remote", "expected a mapping of system names to {url, ...}") }
            for (name, spec) in byName { config.remote[name] = try RemoteSystem.parse(spec, reader: reader.at("remote").at(name)).0 }
        }
        if let v = top["plugins"], !v.isNull {
            guard case .array(let list) = v else { throw reader.fail("plugins", "expected a list of step plugins") }
            for (i, p) in list.enumerated() {
                do {
                    let plugin = try StepPlugin.parse(p)
                    config.plugins[plugin.key] = plugin
                } catch let e as FieldError {
                    throw FTAError.config("config \(source): plugins[\(i)].\(e.field): \(e.message)")
                }
            }
        }
        config.templates.context.language = config.templates.language
        config.templates.context.timezone = config.tick.timezone ?? TimeZone.current.identifier
        config.tick.templateContext = config.templates.context
        config.sections = top
        return config
    }

    /// `action_configs:` as a list of configs with `id`, or a mapping of id to config.
    static func parseActionConfigs(_ value: JSONValue, source: String) throws -> [Int64: JSONValue] {
        var items: [(String, JSONValue)] = []
        switch value {
        case .array(let list): items = list.enumerated().map { ("action_configs[\($0.offset)]", $0.element) }
        case .object(let byId): items = byId.keys.sorted().map { k in ("action_configs.\(k)", byId[k]!.setting("id", byId[k]!["id"] ?? .string(k))) }
        case .null: return [:]
        default: throw FTAError.config("config \(source): action_configs: expected a list of action configs, or a mapping by id")
        }
        var out: [Int64: JSONValue] = [:]
        for (path, c) in items {
            guard c.objectValue != nil else { throw FTAError.config("config \(source): \(path): expected a mapping") }
            guard let id = c["id"]?.intValue else { throw FTAError.config("config \(source): \(path).id: expected an integer id") }
            guard CreationStage.plugin(of: c) != nil else {
                throw FTAError.config("config \(source): \(path).plugin_type: missing (notice, webhook, ...; or a built-in plugin_id)")
            }
            if out[id] != nil { throw FTAError.config("config \(source): \(path): action config id \(id) is given twice") }
            out[id] = c
        }
        return out
    }


}
