/// A validated action instance ready to be stored: one line of `fta-tick enqueue`.
///
/// JSON columns are held as JSON text: enqueue stores nested values as the text they came in
/// (already validated), which is what lets it take more than 100,000 lines a second.
public struct ActionDraft: Sendable, Equatable {
    public var signal: String
    public var pluginType: String
    public var strategyId: Int64 = 0
    public var strategyRelationId: Int64 = 0
    public var dimensionHash: String = ""
    public var alertLevel: Int64 = 3
    public var actionConfigId: Int64 = 0
    public var bkBizId: String = ""
    public var isParentAction = false
    public var parentActionId: Int64 = 0
    public var executeTimes: Int64 = 0
    public var generateUUID: String = ""
    public var dedupeKey: String?
    /// When the first step may run (epoch seconds); `nil` = at creation.
    public var dueAt: Int64?
    /// Wait for an approval ticket before running (the defense flow, reference §2.7): stored
    /// as `waiting` with step `approve`.
    public var needsApproval = false
    /// Per-action timeout in seconds (`execute_config.timeout`), bounds the whole action.
    public var timeout: Int64 = 600

    /// JSON text of the JSON columns.
    public var strategy = "{}"
    public var dimensions = "[]"
    public var alerts = "[]"
    public var alert = "{}"
    public var actionPlugin: String
    public var actionConfig = "{}"
    public var assignee = "[]"
    public var inputs = "{}"

    /// `actionPlugin` is the JSON text of the plugin; by default `{"plugin_key": T, "plugin_type": T}`.
    public init(signal: String, pluginType: String, actionPlugin: String? = nil) {
        self.signal = signal
        self.pluginType = pluginType
        self.actionPlugin = actionPlugin
            ?? JSONValue.object(["plugin_type": .string(pluginType), "plugin_key": .string(pluginType)]).jsonText
    }
}
