import Foundation
import FTACore

/// One kind of action (a `plugin_type`). Validates configs at enqueue and runs one step of
/// a claimed action. It never touches the database: the pass records what it returns.
package protocol ActionProcessor: Sendable {
    var pluginType: PluginType { get }
    /// Throws ``FieldError`` naming the field of `action_config` that makes it impossible to run.
    func validate(actionConfig: JSONValue) throws
    func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult
    /// Actions of this type claimed together with the same key run as one group, e.g. notice
    /// children of one signal, way and alert set go out as one message. `nil`: never grouped.
    func mergeKey(for action: ClaimedAction) -> String?
    /// Runs a group; returns one result per action, in order.
    func run(group: [ClaimedAction], worker: WorkerContext) -> [StepResult]
}

extension ActionProcessor {
    package func mergeKey(for action: ClaimedAction) -> String? { nil }
    package func run(group: [ClaimedAction], worker: WorkerContext) -> [StepResult] { group.map { run($0, worker: worker) } }
}
