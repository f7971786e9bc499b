import Foundation
import FTAActions
import FTAConfig
import FTACore

/// `fta-replay`: sends held notices again through the same channel code, at a bounded rate,
/// marking each row so a second run never resends it.
package struct ReplayRun {
    package struct Progress: Sendable {
        package var sent = 0, failed = 0, skipped = 0, left = 0
    }

    package struct Outcome: Sendable {
        package var id: Int64
        package var ok: Bool
        package var message: String
    }

    /// What a replay did: its JSON, log line and gauges.
    package struct Summary: Sendable, PassSummary {
        package var selected: Int
        package var outcomes: [Outcome]
        package var sent: Int { outcomes.filter(\.ok).count }
        package var failed: Int { outcomes.count - sent }

        package init(selected: Int, outcomes: [Outcome]) {
            self.selected = selected
            self.outcomes = outcomes
        }

        package var figures: [Figure] {
            [
                .count("selected", selected),
                .count("sent", sent, metric: "fta_replay_sent", help: "Held notices sent by the last replay."),
                .count("failed", failed, metric: "fta_replay_failed", help: "Held notices whose replay failed (still replayable)."),
            ]
        }

        package var details: [String: JSONValue] {
            ["results": .array(outcomes.map { ["id": .int($0.id), "ok": .bool($0.ok), "message": .string(Redactor.maskText($0.message))] })]
        }
    }

    let store: any ReplayStore
    let channels: [String: any NoticeChannel]
    let settings: TickSettings
    let clock: Clock
    /// Sends per second.
    package var rate: Double = 10
    /// One message per receiver list and way instead of one per held notice.
    package var digest = false
    package var owner = "replay:\(getpid())"

    package init(store: any ReplayStore, channels: [String: any NoticeChannel], settings: TickSettings, clock: Clock) {
        self.store = store
        self.channels = channels
        self.settings = settings
        self.clock = clock
    }

    /// Held notices that an active rule still matches, counted by the first matching rule's id.
    package static func stillHeld(_ held: [HeldNotice], by matcher: BreakerMatcher) -> [Int64: Int] {
        var byRule: [Int64: Int] = [:]
        for h in held { if let rules = matcher.match(h.dimensions) { byRule[rules[0].id, default: 0] += 1 } }
        return byRule
    }

    /// One message to send and the held rows it covers.
    struct Send {
        var rows: [HeldNotice]
        var message: NoticeMessage
    }

    func plan(_ held: [HeldNotice]) -> [Send] {
        var sends: [Send] = []
        if digest {
            var index: [String: Int] = [:]
            for h in held {
                guard let s = h.sends.first else { continue }
                let addresses = (s["addresses"]?.arrayValue ?? []).compactMap(\.stringValue)
                let key = "\(h.way)|\(addresses.joined(separator: ","))"
                if let i = index[key] { sends[i].rows.append(h); continue }
                index[key] = sends.count
                sends.append(Send(rows: [h], message: NoticeMessage(way: h.way, receivers: addresses, title: "", content: "")))
            }
            for i in sends.indices {
                let rows = sends[i].rows
                let items = rows.map { r -> String in
                    let s = r.sends.first
                    let title = s?["title"]?.stringValue ?? ""
                    let content = s?["content"]?.stringValue ?? ""
                    return title.isEmpty ? content : "\(title)\n\(content)"
                }
                sends[i].message.title = rows.count == 1 ? (rows[0].sends.first?["title"]?.stringValue ?? "") : "\(rows.count) notices held during an alert storm"
                sends[i].message.content = rows.count == 1 ? (rows[0].sends.first?["content"]?.stringValue ?? "") : items.joined(separator: "\n\n---\n\n")
                sends[i].message.idempotencyKey = "fta-\(rows[0].createTime)\(rows[0].id)-replay-\(rows.count)"
            }
        } else {
            for h in held {
                for s in h.sends {
                    sends.append(Send(rows: [h], message: NoticeMessage(
                        way: s["way"]?.stringValue ?? h.way, receivers: (s["addresses"]?.arrayValue ?? []).compactMap(\.stringValue),
                        title: s["title"]?.stringValue ?? "", content: s["content"]?.stringValue ?? "",
                        idempotencyKey: "fta-\(h.createTime)\(h.id)-replay")))
                }
            }
        }
        return sends
    }

    /// Sends `held`, calling `progress` after each send.
    package func run(_ held: [HeldNotice], progress: (Progress) -> Void = { _ in }) throws -> [Outcome] {
        guard let worker = WorkerContext(settings: settings, clock: clock), let channelWorker = worker.channels else {
            throw FTAError.environment("fta-replay: no network handle could be allocated")
        }
        let sends = plan(held)
        var p = Progress(left: sends.count)
        var outcomes: [Outcome] = []
        let spacing = rate > 0 ? 1 / rate : 0
        var next = DispatchTime.now().uptimeNanoseconds
        for send in sends {
            p.left -= 1
            // At most `rate` sends a second, so a release does not become a second storm.
            let now = DispatchTime.now().uptimeNanoseconds
            if next > now { usleep(UInt32((next - now) / 1000)) }
            next = max(next, now) + UInt64(spacing * 1e9)

            var claimed: [HeldNotice] = []
            for r in send.rows where try store.claimHeld(r.id, owner: owner, now: clock.now(), lease: 300) { claimed.append(r) }
            guard !claimed.isEmpty else { p.skipped += send.rows.count; progress(p); continue }
            let result: (ok: Bool, message: String)
            if let channel = channels[send.message.way] {
                if send.message.receivers.isEmpty {
                    result = (false, "no receivers saved with this notice")
                } else {
                    let results = channel.send(send.message, worker: channelWorker)
                    let failed = send.message.receivers.filter { !(results[$0]?.ok ?? false) }
                    result = failed.isEmpty ? (true, "\(send.message.way) sent to \(send.message.receivers.count) receivers")
                        : (false, "\(send.message.way) failed for \(failed.joined(separator: ", ")): \(results[failed[0]]?.message ?? "no result")")
                }
            } else {
                result = (false, "no channel configured for notice way '\(send.message.way)' (channels.\(send.message.way))")
            }
            for r in claimed {
                try store.markReplayed(r.id, owner: owner, ok: result.ok, message: result.message, now: clock.now())
                outcomes.append(Outcome(id: r.id, ok: result.ok, message: result.message))
                if result.ok { p.sent += 1 } else { p.failed += 1 }
            }
            progress(p)
        }
        return outcomes
    }
}
