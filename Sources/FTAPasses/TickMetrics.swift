import FTACore

/// The metrics a pass writes with `--metrics-file`.
package enum TickMetrics {
    package static func families(report: PassReport, queue: QueueStatus, now: Int64) -> [MetricsText.Family] {
        func perPlugin(_ name: String, _ help: String, _ value: (PassReport.Counts) -> Int) -> MetricsText.Family {
            let plugins = report.byPlugin.sorted { $0.key < $1.key }
            return MetricsText.Family(name: name, help: help, samples: plugins.map {
                MetricsText.Sample(name, [("plugin_type", $0.key)], Double(value($0.value)))
            })
        }
        let statuses = Set(queue.byStatus.keys).union(ActionStatus.proceed.map(\.rawValue)).sorted()
        return [
            MetricsText.Family(name: "fta_tick_pass_duration_seconds", help: "Wall time of the last pass.",
                               samples: [.init("fta_tick_pass_duration_seconds", [], report.seconds)]),
            MetricsText.Family(name: "fta_tick_pass_timestamp_seconds", help: "When the last pass ended (its clock).",
                               samples: [.init("fta_tick_pass_timestamp_seconds", [], Double(now))]),
            perPlugin("fta_tick_actions_claimed", "Actions claimed by the last pass.") { $0.claimed },
            perPlugin("fta_tick_actions_succeeded", "Actions that ended in success in the last pass.") { $0.succeeded },
            perPlugin("fta_tick_actions_failed", "Actions that ended in failure in the last pass.") { $0.failed },
            perPlugin("fta_tick_actions_retried", "Failed attempts scheduled for a retry in the last pass.") { $0.retried },
            MetricsText.Family(name: "fta_tick_actions_timed_out", help: "Actions the last pass's sweep failed for passing their deadline.",
                               samples: [.init("fta_tick_actions_timed_out", [], Double(report.timedOut))]),
            MetricsText.Family(name: "fta_tick_actions_released", help: "Claimed actions given back unstarted at the runtime limit.",
                               samples: [.init("fta_tick_actions_released", [], Double(report.released))]),
            MetricsText.Family(name: "fta_tick_outcomes_lost", help: "Outcomes discarded because the lease was taken over.",
                               samples: [.init("fta_tick_outcomes_lost", [], Double(report.lost))]),
            MetricsText.Family(name: "fta_tick_actions_held", help: "Actions held by the circuit breaker in the last pass, by stage and rule.",
                               samples: report.held.keys.sorted().map { k in
                                   let parts = k.split(separator: "|").map(String.init)
                                   return .init("fta_tick_actions_held", [("stage", parts[0]), ("rule", parts.count > 1 ? parts[1] : "")], Double(report.held[k]!))
                               }),
            MetricsText.Family(name: "fta_queue_depth", help: "Live (not finished) actions by status.",
                               samples: statuses.map { .init("fta_queue_depth", [("status", $0)], Double(queue.byStatus[$0] ?? 0)) }),
            MetricsText.Family(name: "fta_queue_due", help: "Actions due now.", samples: [.init("fta_queue_due", [], Double(queue.dueNow))]),
            MetricsText.Family(name: "fta_queue_oldest_due_age_seconds", help: "How long the oldest due action has waited (0 when none).",
                               samples: [.init("fta_queue_oldest_due_age_seconds", [], Double(queue.oldestDueAge ?? 0))]),
        ]
    }
}
