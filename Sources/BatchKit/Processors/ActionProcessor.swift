import Foundation

/// Resources one worker thread hands to processors: its own HTTP handle (kept alive between
/// actions) and template cache, the settings and the clock.
public final class WorkerContext {
    public let http: HTTPClient
    public let renderer: TemplateRenderer
    public let settings: TickSettings
    public let clock: Clock

    public init(settings: TickSettings, clock: Clock) {
        self.settings = settings
        self.clock = clock
        http = HTTPClient(maxResponseBytes: settings.maxResponseBytes, userAgent: settings.userAgent)
        renderer = TemplateRenderer()
    }
}

/// What one step of an action produced, with the retry policy its config asks for.
public struct StepResult: Sendable {
    public var outcome: ActionOutcome
    public var policy: RetryPolicy
    /// Short description for the outcome log line (method, safe URL, status, duration).
    public var detail: String

    public init(outcome: ActionOutcome, policy: RetryPolicy = .none, detail: String = "") {
        self.outcome = outcome
        self.policy = policy
        self.detail = detail
    }
}

/// One kind of action (a `plugin_type`). Validates configs at enqueue and runs one step of
/// a claimed action. It never touches the database: the pass records what it returns.
public protocol ActionProcessor: Sendable {
    var pluginType: PluginType { get }
    /// Throws ``FieldError`` naming the field of `action_config` that makes it impossible to run.
    func validate(actionConfig: JSONValue) throws
    func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult
}

/// The processors this build can run, by plugin type.
public struct ProcessorRegistry: Sendable {
    private var processors: [String: any ActionProcessor] = [:]

    public init(_ list: [any ActionProcessor]) {
        for p in list { processors[p.pluginType.rawValue] = p }
    }

    public static func standard(settings: TickSettings = TickSettings()) -> ProcessorRegistry {
        ProcessorRegistry([WebhookProcessor(settings: settings)])
    }

    public func processor(for pluginType: String) -> (any ActionProcessor)? { processors[pluginType] }

    public var supportedTypes: [String] { processors.keys.sorted() }

    /// Enqueue-time check: the plugin type must have a processor here, and its config must be complete.
    public func validate(pluginType: String, actionConfig: JSONValue) throws {
        guard let p = processors[pluginType] else {
            throw FieldError("action_plugin.plugin_type", "'\(pluginType)' is not supported by this version of fta (supported: \(supportedTypes.joined(separator: ", ")))")
        }
        try p.validate(actionConfig: actionConfig)
    }
}

/// Where a command gets the time: the real clock, or one fixed instant (`--now`) so tests,
/// backfills and what-if runs are reproducible.
public enum Clock: Sendable, Equatable {
    case system
    case fixed(Int64)

    public func now() -> Int64 {
        switch self {
        case .system: return Int64(Date().timeIntervalSince1970)
        case .fixed(let t): return t
        }
    }
}
