import Foundation
import FTACore
import FTATemplates

/// The variables action templates render against (Jinja syntax):
/// `action` (the row: id, es_id, signal, strategy_id, bk_biz_id, alerts, alert_level,
/// execute_times, create_time, name, plugin_type, inputs, dimensions, assignee), `alert`
/// (the alert snapshot given at enqueue; `alert.id` defaults to the first alert id) and
/// `strategy` (the strategy snapshot); with `original` settings also the original's variables
/// (``OriginalContext``: `alarm`, `content`, `business`, `target`, `action_instance`,
/// `level_name`, `user_content`..., and `strategy.item`).
package enum ActionContext {
    package static func build(_ a: ClaimedAction, configs: ConfigCache? = nil, original: OriginalContext.Settings? = nil, now: Int64 = 0) -> JSONValue {
        let lazy = Lazy(a, configs: configs, original: original, now: now)
        let names = ["id", "es_id", "signal", "strategy_id", "bk_biz_id", "alerts", "alert_level", "execute_times", "create_time",
                     "name", "plugin_type", "generate_uuid", "inputs", "dimensions", "assignee"]
        var action: [String: JSONValue] = [:]
        for n in names { action[n] = lazy.actionMember(n) }
        var out: [String: JSONValue] = ["action": .object(action), "alert": lazy.alert, "strategy": lazy.strategy]
        if let o = lazy.original {
            for (k, v) in o.members { out[k] = v }
            out["strategy"] = o.strategy
        }
        return .object(out)
    }

    /// A context that parses an action's JSON columns only when a template names them: most
    /// templates name a few scalars (`{{ alert.id }}`, `{{ action.id }}`), and parsing every
    /// snapshot of every action cost more than rendering. Gives exactly what walking
    /// ``build(_:configs:original:now:)`` gives.
    package static func context(_ a: ClaimedAction, configs: ConfigCache?, original: OriginalContext.Settings? = nil, now: Int64 = 0) -> TemplateRenderer.Context {
        let lazy = Lazy(a, configs: configs, original: original, now: now)
        return TemplateRenderer.Context(resolve: { lazy.resolve($0) }, whole: { build(a, configs: configs, original: original, now: now) })
    }

    /// The columns of one action, each parsed on first use.
    final class Lazy {
        let a: ClaimedAction
        let configs: ConfigCache?
        let settings: OriginalContext.Settings?
        let now: Int64
        init(_ a: ClaimedAction, configs: ConfigCache?, original: OriginalContext.Settings?, now: Int64) {
            self.a = a
            self.configs = configs
            settings = original
            self.now = now
        }

        lazy var original: (members: [String: JSONValue], strategy: JSONValue)? = settings.map {
            OriginalContext.build(a, alert: alert, strategy: strategy, alerts: alerts, now: now, settings: $0)
        }

        lazy var alerts = ClaimedAction.json(a.text.alerts, default: .emptyArray)
        lazy var alert: JSONValue = {
            var o = ClaimedAction.json(a.text.alert).objectValue ?? [:]
            if o["id"] == nil, let first = alerts.arrayValue?.first { o["id"] = first }
            return .object(o)
        }()
        lazy var strategy = ClaimedAction.json(a.text.strategy)
        lazy var inputs = ClaimedAction.json(a.text.inputs)

        /// Whether the inputs may have a member `key` (not an array index). Without a backslash or
        /// a non-ASCII byte in the text, every key reads as its bytes, so an ASCII key can be there
        /// only if its bytes are (a notice asks for `source_action` and `digest`, which most inputs lack, and a
        /// byte search costs a fraction of parsing them).
        func inputsMayHold(_ key: String) -> Bool {
            guard Int(key) == nil, key.utf8.allSatisfy({ $0 < 0x80 }), !a.text.inputs.containsBytes(key) else { return true }
            return !a.text.inputs.isASCIIWithoutBackslash
        }

        func actionMember(_ name: String) -> JSONValue? {
            switch name {
            case "id": return .int(a.id)
            case "es_id": return .string(a.esActionId)
            case "signal": return .string(a.signal)
            case "strategy_id": return .int(a.strategyId)
            case "bk_biz_id": return .string(a.bkBizId)
            case "alerts": return alerts
            case "alert_level": return .int(a.alertLevel)
            case "execute_times": return .int(a.executeTimes + 1)
            case "create_time": return .int(a.createTime)
            case "name":
                let config = configs?.json(a.text.actionConfig) ?? a.json(\.actionConfig)
                return config["name"] ?? .string("")
            case "plugin_type": return .string(a.pluginType)
            case "generate_uuid": return .string(a.generateUUID)
            case "inputs": return inputs
            case "dimensions": return a.json(\.dimensions, default: .emptyArray)
            case "assignee": return a.json(\.assignee, default: .emptyArray)
            default: return nil
            }
        }

        func resolve(_ keys: [String]) -> JSONValue? {
            guard let first = keys.first else { return nil }
            switch first {
            case "action":
                guard keys.count > 1 else { return ActionContext.build(a, configs: configs)["action"] }
                if keys.count > 2, keys[1] == "inputs", !inputsMayHold(keys[2]) { return nil }
                return TemplateRenderer.Context.walk(actionMember(keys[1]), keys.dropFirst(2))
            case "alert": return TemplateRenderer.Context.walk(alert, keys.dropFirst())
            case "strategy":
                // The original's additions (item, strategy_id) only when named.
                if settings != nil, keys.count == 1 || OriginalContext.strategyAdditions.contains(keys[1]), let o = original {
                    return TemplateRenderer.Context.walk(o.strategy, keys.dropFirst())
                }
                return TemplateRenderer.Context.walk(strategy, keys.dropFirst())
            default:
                guard OriginalContext.names.contains(first), let o = original else { return nil }
                return TemplateRenderer.Context.walk(o.members[first], keys.dropFirst())
            }
        }
    }
}
