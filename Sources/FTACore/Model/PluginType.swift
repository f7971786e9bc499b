/// Kind of action; selects the processor (original-system.md §1.5).
package enum PluginType: String, CaseIterable, Sendable, Codable {
    case notice, webhook, job, sops, itsm, common, collect
    case messageQueue = "message_queue"
    case authorize
    /// fta: a local program (no original counterpart).
    case script
    case bkIncident = "bk_incident"
}
