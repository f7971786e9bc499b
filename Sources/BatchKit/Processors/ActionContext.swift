import Foundation

/// The variables action templates render against (Jinja syntax):
/// `action` (the row: id, es_id, signal, strategy_id, bk_biz_id, alerts, alert_level,
/// execute_times, create_time, name, plugin_type, inputs, dimensions, assignee), `alert`
/// (the alert snapshot given at enqueue; `alert.id` defaults to the first alert id) and
/// `strategy` (the strategy snapshot).
public enum ActionContext {
    public static func build(_ a: ClaimedAction) -> [String: Any] {
        let config = a.json(\.actionConfig)
        let alerts = a.json(\.alerts, default: .emptyArray)
        var action: [String: Any] = [
            "id": Int(a.id),
            "es_id": a.esActionId,
            "signal": a.signal,
            "strategy_id": Int(a.strategyId),
            "bk_biz_id": a.bkBizId,
            "alerts": alerts.anyValue,
            "alert_level": Int(a.alertLevel),
            "execute_times": Int(a.executeTimes + 1),
            "create_time": Int(a.createTime),
            "name": config["name"]?.stringValue ?? "",
            "plugin_type": a.pluginType,
            "generate_uuid": a.generateUUID,
        ]
        action["inputs"] = a.json(\.inputs).anyValue
        action["dimensions"] = a.json(\.dimensions, default: .emptyArray).anyValue
        action["assignee"] = a.json(\.assignee, default: .emptyArray).anyValue
        var alert = a.json(\.alert).objectValue ?? [:]
        if alert["id"] == nil, let first = alerts.arrayValue?.first { alert["id"] = first }
        return ["action": action, "alert": JSONValue.object(alert).anyValue, "strategy": a.json(\.strategy).anyValue]
    }
}
