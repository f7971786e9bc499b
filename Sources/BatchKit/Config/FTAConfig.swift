import Foundation
import Yams

/// The YAML configuration shared by all commands (ARCHITECTURE §4, "Configuration").
///
/// Every section is optional; without a file the built-in defaults serve. Strings may
/// reference environment variables as `${NAME}` so that files holding no secrets can be
/// committed. Sections that later commands read are kept as raw JSON in ``sections``.
public struct FTAConfig: Sendable {
    public var database = DatabaseSettings()
    public var tick = TickSettings()
    /// Notice channels by way (`channels:`).
    public var channels: [String: any NoticeChannel] = [:]
    /// Notice templates (`templates:`).
    public var templates = NoticeTemplates()
    /// Users and user groups (`users:`, `user_groups:`).
    public var directory = UserDirectory()
    public var sections: [String: JSONValue] = [:]
    /// The file it was read from, for messages.
    public var source: String = "(defaults)"

    public static let knownSections: [String] = [
        "database", "tick", "channels", "users", "user_groups", "action_configs", "templates",
        "elasticsearch", "job", "sops", "itsm", "message_queue", "breaker", "rota", "sync", "replay",
    ]

    public init() {}

    /// Loads `path`, or returns defaults when `path` is nil.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> FTAConfig {
        guard let path else { return FTAConfig() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FTAError.config("config \(path): cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FTAError.config("config \(path): not UTF-8 text")
        }
        return try parse(text, source: path, environment: environment)
    }

    public static func parse(_ text: String, source: String, environment: [String: String] = [:]) throws -> FTAConfig {
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch let error as YamlError {
            throw FTAError.config("config \(source): invalid YAML: \(oneLine("\(error)"))")
        } catch {
            throw FTAError.config("config \(source): invalid YAML: \(oneLine("\(error)"))")
        }
        var config = FTAConfig()
        config.source = source
        guard let node else { return config }
        let root = try ConfigReader.json(from: node, path: "", source: source, environment: environment)
        guard case .object(let top) = root else {
            throw FTAError.config("config \(source): the top level must be a mapping of sections")
        }
        for key in top.keys.sorted() where !knownSections.contains(key) {
            throw FTAError.config("config \(source): unknown section '\(key)' (known: \(knownSections.joined(separator: ", ")))")
        }
        let reader = ConfigReader(source: source)
        if let db = top["database"] { config.database = try DatabaseSettings(db, reader: reader.at("database")) }
        if let tick = top["tick"] { config.tick = try TickSettings(tick, reader: reader.at("tick")) }
        if let channels = top["channels"] { config.channels = try ChannelSettings.parse(channels, reader: reader.at("channels")) }
        if let t = top["templates"] { config.templates = try TemplateSettings.parse(t, reader: reader) }
        config.directory = try UserSettings.parse(users: top["users"], groups: top["user_groups"], reader: reader)
        config.sections = top
        return config
    }

    static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
    }
}
