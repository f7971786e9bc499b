import FTACore

/// What one `fta-tick` pass did. Its figures are the pass's JSON (`--json`), the metadata of the
/// "pass done" log line and the gauges of the metrics file.
package struct PassReport: Sendable, PassSummary {
    package struct Counts: Sendable, Equatable {
        package var claimed = 0, succeeded = 0, failed = 0, retried = 0, continued = 0, finishedOther = 0
        package init() {}
    }
    package var byPlugin: [String: Counts] = [:]
    package var timedOut = 0
    /// Claimed rows whose previous lease had expired without an outcome.
    package var expiredLeases = 0
    package var released = 0
    package var lost = 0
    /// Interval-repeat rounds created before the claim.
    package var repeatsCreated = 0
    /// Old finished actions removed after the pass (`tick.purge_per_pass`).
    package var purged = 0
    /// Actions held by the circuit breaker, by "stage|rule id".
    package var held: [String: Int] = [:]
    package var seconds: Double = 0
    /// The lease owner name the pass claimed as.
    package var worker = ""
    /// When the pass ended, by its clock.
    package var endedAt: Int64 = 0
    /// The queue after the pass, for the depth gauges; read only when metrics are written.
    package var queue: QueueStatus?
    /// How late each claimed action started after it came due.
    package var startDelay = Histogram()

    package init() {}

    package var total: Counts {
        byPlugin.values.reduce(into: Counts()) { t, c in
            t.claimed += c.claimed; t.succeeded += c.succeeded; t.failed += c.failed
            t.retried += c.retried; t.continued += c.continued; t.finishedOther += c.finishedOther
        }
    }

    /// Counts a recorded update under its plugin.
    mutating func count(_ update: ActionUpdate, plugin: String) {
        var c = byPlugin[plugin] ?? Counts()
        switch update.kind {
        case .succeeded: c.succeeded += 1
        case .failed: c.failed += 1
        case .retried: c.retried += 1
        case .continued: c.continued += 1
        case .finished: c.finishedOther += 1
        }
        byPlugin[plugin] = c
    }

    package var figures: [Figure] {
        let t = total
        return [
            .count("claimed", t.claimed), .count("succeeded", t.succeeded), .count("failed", t.failed),
            .count("retried", t.retried), .count("continued", t.continued),
            .count("timed_out", timedOut, metric: "fta_tick_actions_timed_out", help: "Actions the last pass's sweep failed for passing their deadline."),
            .count("released", released, metric: "fta_tick_actions_released", help: "Claimed actions given back unstarted at the runtime limit."),
            .count("lost", lost, metric: "fta_tick_outcomes_lost", help: "Outcomes discarded because the lease was taken over."),
            .count("expired_leases", expiredLeases, metric: "fta_tick_expired_leases", help: "Actions claimed again after an earlier pass's lease expired."),
            .count("repeats", repeatsCreated, metric: "fta_tick_repeats_created", help: "Interval-repeat rounds created by the last pass."),
            .count("purged", purged, metric: "fta_tick_actions_purged", help: "Old finished actions the last pass removed (tick.purge_per_pass)."),
            .seconds("seconds", seconds, metric: "fta_tick_pass_duration_seconds", help: "Wall time of the last pass."),
            .count("ended_at", endedAt, metric: "fta_tick_pass_timestamp_seconds", help: "When the last pass ended (its clock)."),
            .seconds("start_delay_p50", startDelay.quantileBound(0.5) ?? 0), .seconds("start_delay_p99", startDelay.quantileBound(0.99) ?? 0),
            .text("worker", worker),
        ]
    }

    package var details: [String: JSONValue] {
        ["by_plugin": .object(byPlugin.mapValues { c in
            ["claimed": .int(Int64(c.claimed)), "succeeded": .int(Int64(c.succeeded)), "failed": .int(Int64(c.failed)),
             "retried": .int(Int64(c.retried)), "continued": .int(Int64(c.continued))]
        })]
    }

    package var labelledMetrics: [MetricsText.Family] {
        func perPlugin(_ name: String, _ help: String, _ value: (Counts) -> Int) -> MetricsText.Family {
            MetricsText.Family(name: name, help: help, samples: byPlugin.sorted { $0.key < $1.key }.map {
                MetricsText.Sample(name, [("plugin_type", $0.key)], Double(value($0.value)))
            })
        }
        var families = [
            startDelay.family(name: "fta_tick_start_delay_seconds", help: "How late the last pass started each action after it came due."),
            perPlugin("fta_tick_actions_claimed", "Actions claimed by the last pass.") { $0.claimed },
            perPlugin("fta_tick_actions_succeeded", "Actions that ended in success in the last pass.") { $0.succeeded },
            perPlugin("fta_tick_actions_failed", "Actions that ended in failure in the last pass.") { $0.failed },
            perPlugin("fta_tick_actions_retried", "Failed attempts scheduled for a retry in the last pass.") { $0.retried },
            MetricsText.Family(name: "fta_tick_actions_held", help: "Actions held by the circuit breaker in the last pass, by stage and rule.",
                               samples: held.keys.sorted().map { k in
                                   let parts = k.split(separator: "|").map(String.init)
                                   return .init("fta_tick_actions_held", [("stage", parts[0]), ("rule", parts.count > 1 ? parts[1] : "")], Double(held[k]!))
                               }),
        ]
        if let queue {
            let statuses = Set(queue.byStatus.keys).union(ActionStatus.proceed.map(\.rawValue)).sorted()
            families += [
                MetricsText.Family(name: "fta_queue_depth", help: "Live (not finished) actions by status.",
                                   samples: statuses.map { .init("fta_queue_depth", [("status", $0)], Double(queue.byStatus[$0] ?? 0)) }),
                MetricsText.Family(name: "fta_queue_due", help: "Actions due now.", samples: [.init("fta_queue_due", [], Double(queue.dueNow))]),
                MetricsText.Family(name: "fta_queue_oldest_due_age_seconds", help: "How long the oldest due action has waited (0 when none).",
                                   samples: [.init("fta_queue_oldest_due_age_seconds", [], Double(queue.oldestDueAge ?? 0))]),
            ]
        }
        return families
    }
}
