import Foundation
import FTAConfig
import FTACore
import FTATransport

/// Message-queue actions (original-system.md §3.7): the alert pushed to a Redis list with `LPUSH`
/// (trimmed to `max_length`), in the original's `callback_message` shape or as the full alert.
/// Unlike the original, a failed push is retried by `message_queue.max_retry_times` /
/// `retry_interval`, and a business with no queue configured is a failure, not a silent success.
package struct MessageQueueProcessor: ActionProcessor {
    package let pluginType = PluginType.messageQueue
    let settings: MessageQueueSettings

    package init(settings: MessageQueueSettings) { self.settings = settings }

    package func validate(actionConfig: JSONValue) throws {}

    static let types: [String: String] = ["abnormal": "ANOMALY_PUSH", "no_data": "ANOMALY_PUSH", "recovered": "RECOVERY_PUSH", "closed": "CLOSE_PUSH"]
    static let levelNames: [Int64: String] = [1: "fatal", 2: "warning", 3: "remind"]

    static func time(_ v: JSONValue?) -> JSONValue {
        guard let t = v?.intValue else { return .null }
        return .string(TimeParser.iso(t).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: ""))
    }

    /// The original's `callback_message` for one alert.
    static func callbackMessage(alert: JSONValue, strategy: JSONValue, signal: String, bkBizId: String) -> JSONValue {
        let dims = alert["dimensions"]?.arrayValue ?? []
        let level = alert["severity"]?.intValue ?? 3
        let items = (strategy["items"]?.arrayValue ?? []).flatMap { item -> [JSONValue] in
            (item["query_configs"]?.arrayValue ?? []).map { q in
                ["metric_field": q["metric_field"] ?? "", "metric_field_name": q["metric_field_name"] ?? item["name"] ?? "",
                 "data_source_label": q["data_source_label"] ?? "", "data_type_label": q["data_type_label"] ?? "",
                 "metric_id": q["metric_id"] ?? item["metric_id"] ?? ""]
            }
        }
        let event = alert["event"] ?? .object([:])
        return [
            "type": .string(types[signal] ?? "manual"),
            "scenario": strategy["scenario"] ?? "",
            "bk_biz_id": .int(Int64(bkBizId) ?? 0),
            "bk_biz_name": alert["bk_biz_name"] ?? "",
            "event": [
                "id": alert["id"] ?? .null, "event_id": event["event_id"] ?? alert["id"] ?? .null,
                "is_shielded": .bool(alert["is_shielded"]?.boolValue ?? false),
                "begin_time": time(alert["begin_time"]), "create_time": time(alert["create_time"] ?? alert["begin_time"]),
                "end_time": time(alert["end_time"]), "level": .int(level), "level_name": .string(levelNames[level] ?? "\(level)"),
                "agg_dimensions": .array(dims.compactMap { $0["key"] }), "dimensions": .array(dims),
                "dimension_translation": .object(Dictionary(dims.compactMap { d -> (String, JSONValue)? in
                    guard let k = d["key"]?.scalarText else { return nil }
                    return (k, ["value": d["value"] ?? "", "display_name": d["display_key"] ?? d["key"] ?? "", "display_value": d["display_value"] ?? d["value"] ?? ""])
                }, uniquingKeysWith: { a, _ in a })),
            ],
            "strategy": ["id": strategy["id"] ?? alert["strategy_id"] ?? .null, "name": strategy["name"] ?? alert["alert_name"] ?? "",
                         "scenario": strategy["scenario"] ?? "", "item_list": .array(items)],
            "latest_anomaly_record": ["anomaly_id": event["anomaly_id"] ?? "", "source_time": time(alert["latest_time"]),
                                      "create_time": time(alert["latest_time"]), "origin_alarm": event["origin_alarm"] ?? .object([:])],
            "current_value": event["value"] ?? alert["current_value"] ?? .null,
            "description": event["description"] ?? alert["description"] ?? "",
            "related_info": alert["related_info"] ?? "",
            "labels": alert["labels"] ?? strategy["labels"] ?? .array([]),
        ]
    }

    package func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult {
        let policy = RetryPolicy(maxRetryTimes: settings.maxRetryTimes, retryInterval: settings.retryInterval,
                                 retryAfterCap: worker.settings.retryAfterCap, jitter: worker.settings.retryJitter)
        var seen = Set<String>()
        let dsns = ["0", action.bkBizId].compactMap { settings.dsns[$0] }.filter { !$0.isEmpty && seen.insert($0).inserted }
        guard !dsns.isEmpty else {
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "no message queue configured for business \(action.bkBizId) (message_queue.dsn)"))
        }
        let strategy = action.json(\.strategy)
        let inputs = action.json(\.inputs)
        let alerts = inputs["alerts"]?.arrayValue ?? [action.json(\.alert)]
        if !settings.pushShieldedAlerts, alerts.allSatisfy({ $0["is_shielded"]?.boolValue == true }) {
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "alert shielded and pushing shielded alerts not allowed"))
        }
        let messages = alerts.filter { settings.pushShieldedAlerts || $0["is_shielded"]?.boolValue != true }.map { alert -> String in
            if settings.payload == "alert_info" { return alert.setting("strategy", strategy).jsonText }
            return MessageQueueProcessor.callbackMessage(alert: alert, strategy: strategy, signal: action.signal, bkBizId: action.bkBizId).jsonText
        }
        var failures: [String] = []
        for dsn in dsns {
            do {
                let target = try RedisTarget.parse(dsn)
                let client = worker.redis(target, timeout: settings.timeout)
                for m in messages {
                    if case .error(let e) = try client.command(["LPUSH", target.key, m]) { throw TransportError(kind: .other, message: "\(target.safe): LPUSH refused: \(e)") }
                }
                if settings.maxLength > 0 {
                    if case .error(let e) = try client.command(["LTRIM", target.key, "0", String(settings.maxLength - 1)]) {
                        throw TransportError(kind: .other, message: "\(target.safe): LTRIM refused: \(e)")
                    }
                }
            } catch {
                failures.append("\(error)")
            }
        }
        if failures.isEmpty {
            return StepResult(outcome: .success("pushed \(messages.count) message\(messages.count == 1 ? "" : "s") to the message queue"), policy: policy)
        }
        if failures.count < dsns.count {
            return StepResult(outcome: .success("partially pushed (\(dsns.count - failures.count)/\(dsns.count)), reasons: \(failures.joined(separator: "; "))"), policy: policy)
        }
        return StepResult(outcome: .failure("message queue push failed: \(failures.joined(separator: "; "))", type: .executeError), policy: policy)
    }
}

extension WorkerContext {
    /// The worker's Redis connection to `target`, kept between actions.
    func redis(_ target: RedisTarget, timeout: Double) -> RedisClient {
        let key = "\(target.host):\(target.port)/\(target.db)|\(target.password ?? "")"
        if let c = redisClients[key] { return c }
        let c = RedisClient(target: target, timeout: timeout)
        redisClients[key] = c
        return c
    }
}
