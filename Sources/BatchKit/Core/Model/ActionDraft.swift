/// A validated action instance ready to be stored: one line of `fta-tick enqueue`.
///
/// JSON-typed fields are kept as ``JSONValue`` and written to their columns as JSON text.
public struct ActionDraft: Sendable, Equatable {
    public var signal: String
    public var strategyId: Int64 = 0
    public var strategy: JSONValue = .emptyObject
    public var strategyRelationId: Int64 = 0
    public var dimensions: JSONValue = .emptyArray
    public var dimensionHash: String = ""
    public var alerts: [String] = []
    public var alert: JSONValue = .emptyObject
    public var alertLevel: Int64 = 3
    public var actionPlugin: JSONValue
    public var actionConfig: JSONValue = .emptyObject
    public var actionConfigId: Int64 = 0
    public var bkBizId: String = ""
    public var isParentAction = false
    public var parentActionId: Int64 = 0
    public var assignee: JSONValue = .emptyArray
    public var inputs: JSONValue = .emptyObject
    public var executeTimes: Int64 = 0
    public var generateUUID: String = ""
    public var dedupeKey: String?
    /// When the first step may run (epoch seconds); `nil` = at creation.
    public var dueAt: Int64?
    /// Per-action timeout in seconds (`execute_config.timeout`), bounds the whole action.
    public var timeout: Int64 = 600

    public init(signal: String, actionPlugin: JSONValue) {
        self.signal = signal
        self.actionPlugin = actionPlugin
    }

    public var pluginType: String { actionPlugin["plugin_type"]?.stringValue ?? "" }
}
