import Foundation
import FTACore

/// The variables action templates render against (Jinja syntax):
/// `action` (the row: id, es_id, signal, strategy_id, bk_biz_id, alerts, alert_level,
/// execute_times, create_time, name, plugin_type, inputs, dimensions, assignee), `alert`
/// (the alert snapshot given at enqueue; `alert.id` defaults to the first alert id) and
/// `strategy` (the strategy snapshot).
package enum ActionContext {
    package static func build(_ a: ClaimedAction) -> JSONValue {
        let config = a.json(\.actionConfig)
        let alerts = a.json(\.alerts, default: .emptyArray)
        let action: [String: JSONValue] = [
            "id": .int(a.id),
            "es_id": .string(a.esActionId),
            "signal": .string(a.signal),
            "strategy_id": .int(a.strategyId),
            "bk_biz_id": .string(a.bkBizId),
            "alerts": alerts,
            "alert_level": .int(a.alertLevel),
            "execute_times": .int(a.executeTimes + 1),
            "create_time": .int(a.createTime),
            "name": config["name"] ?? .string(""),
            "plugin_type": .string(a.pluginType),
            "generate_uuid": .string(a.generateUUID),
            "inputs": a.json(\.inputs),
            "dimensions": a.json(\.dimensions, default: .emptyArray),
            "assignee": a.json(\.assignee, default: .emptyArray),
        ]
        var alert = a.json(\.alert).objectValue ?? [:]
        if alert["id"] == nil, let first = alerts.arrayValue?.first { alert["id"] = first }
        return ["action": .object(action), "alert": .object(alert), "strategy": a.json(\.strategy)]
    }
}
