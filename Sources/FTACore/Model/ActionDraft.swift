/// A validated action instance ready to be stored: one line of `fta-tick enqueue`.
///
/// JSON columns are held as JSON text: enqueue stores nested values as the text they came in
/// (already validated), which is what lets it take more than 100,000 lines a second.
package struct ActionDraft: Sendable, Equatable {
    package var signal: String
    package var pluginType: String
    package var strategyId: Int64 = 0
    package var strategyRelationId: Int64 = 0
    package var dimensionHash: String = ""
    package var alertLevel: Int64 = 3
    package var actionConfigId: Int64 = 0
    package var bkBizId: String = ""
    package var isParentAction = false
    package var parentActionId: Int64 = 0
    package var executeTimes: Int64 = 0
    package var generateUUID: String = ""
    package var dedupeKey: String?
    /// When the first step may run (epoch seconds); `nil` = at creation.
    package var dueAt: Int64?
    /// Wait for an approval ticket before running (the defense flow, original-system.md §2.7): stored
    /// as `waiting` with step `approve`.
    package var needsApproval = false
    /// Per-action timeout in seconds (`execute_config.timeout`), bounds the whole action.
    package var timeout: Int64 = 600

    /// JSON text of the JSON columns.
    package var strategy = "{}"
    package var dimensions = "[]"
    package var alerts = "[]"
    package var alert = "{}"
    package var actionPlugin: String
    package var actionConfig = "{}"
    package var assignee = "[]"
    package var inputs = "{}"

    /// `actionPlugin` is the JSON text of the plugin; by default `{"plugin_key": T, "plugin_type": T}`.
    package init(signal: String, pluginType: String, actionPlugin: String? = nil) {
        self.signal = signal
        self.pluginType = pluginType
        self.actionPlugin = actionPlugin
            ?? JSONValue.object(["plugin_type": .string(pluginType), "plugin_key": .string(pluginType)]).jsonText
    }
}
