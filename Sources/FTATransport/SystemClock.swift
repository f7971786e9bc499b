import Foundation
import FTACore

extension Clock {
    /// The operating system's clock (`CLOCK_REALTIME`), in epoch seconds with their fraction.
    package static let system = Clock {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
