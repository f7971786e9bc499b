import Foundation

/// One kind of action (a `plugin_type`). Validates configs at enqueue and runs one step of
/// a claimed action. It never touches the database: the pass records what it returns.
public protocol ActionProcessor: Sendable {
    var pluginType: PluginType { get }
    /// Throws ``FieldError`` naming the field of `action_config` that makes it impossible to run.
    func validate(actionConfig: JSONValue) throws
    func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult
}
