import Foundation
import Synchronization

/// Set by SIGTERM, SIGINT or SIGHUP: a pass stops claiming, gives back what it has not started
/// and finishes what is in flight; an enqueue or ingest stops reading after the batch it holds
/// (systemd's stop and cron's `timeout` send SIGTERM; a closed terminal sends SIGHUP).
let stopRequested = Atomic<Bool>(false)

package enum StopSignals {
    /// Routes SIGTERM, SIGINT and SIGHUP to a graceful stop. The handler does not restart
    /// interrupted reads, so a command waiting on a quiet pipe notices at once.
    package static func install() {
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in stopRequested.store(true, ordering: .relaxed) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(sig, &action, nil)
        }
    }

    /// Whether a stop signal has arrived.
    package static var requested: Bool { stopRequested.load(ordering: .relaxed) }
}
