/// A Prometheus histogram of seconds (cumulative buckets, sum and count), e.g. how late a pass
/// started each action after it came due.
package struct Histogram: Sendable, Equatable {
    /// Upper bounds of the buckets, in seconds (`+Inf` is implied).
    package let bounds: [Double]
    /// Observations per bucket (not cumulative); the last entry counts those above every bound.
    package private(set) var counts: [Int]
    package private(set) var sum: Double = 0
    package private(set) var count = 0

    /// From 10 ms to ten minutes.
    package static let latencyBounds: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 600]

    package init(bounds: [Double] = Histogram.latencyBounds) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count + 1)
    }

    package mutating func observe(_ value: Double) {
        guard value.isFinite else { return }
        let v = max(0, value)
        var i = 0
        while i < bounds.count && v > bounds[i] { i += 1 }
        counts[i] += 1
        sum += v
        count += 1
    }

    /// The smallest bucket bound at or above the `q` quantile (nil when empty; `.infinity` when
    /// it lies above every bound).
    package func quantileBound(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = Int((q * Double(count)).rounded(.up))
        var seen = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= rank { return i < bounds.count ? bounds[i] : .infinity }
        }
        return .infinity
    }

    /// The family in the exposition format: `<name>_bucket{le}`, `<name>_sum`, `<name>_count`.
    package func family(name: String, help: String) -> MetricsText.Family {
        var samples: [MetricsText.Sample] = []
        var cumulative = 0
        for (i, bound) in bounds.enumerated() {
            cumulative += counts[i]
            samples.append(.init(name + "_bucket", [("le", JSONWriter.format(bound))], Double(cumulative)))
        }
        samples.append(.init(name + "_bucket", [("le", "+Inf")], Double(count)))
        samples.append(.init(name + "_sum", [], sum))
        samples.append(.init(name + "_count", [], Double(count)))
        return MetricsText.Family(name: name, help: help, type: "histogram", samples: samples)
    }
}
