/// One named figure of a pass's report: a count, a duration, a word or a list.
package struct Figure: Sendable {
    package enum Value: Sendable {
        case count(Int64)
        case seconds(Double)
        case text(String)
        case list([String])
    }

    package var key: String
    package var value: Value
    /// The gauge it is exported as (`--metrics-file`), with its help text; nil for figures that
    /// are printed and logged only.
    package var metric: (name: String, help: String)?

    package static func count(_ key: String, _ value: Int, metric: String? = nil, help: String = "") -> Figure {
        Figure(key: key, value: .count(Int64(value)), metric: metric.map { ($0, help) })
    }

    package static func count(_ key: String, _ value: Int64, metric: String? = nil, help: String = "") -> Figure {
        Figure(key: key, value: .count(value), metric: metric.map { ($0, help) })
    }

    package static func seconds(_ key: String, _ value: Double, metric: String? = nil, help: String = "") -> Figure {
        Figure(key: key, value: .seconds(value), metric: metric.map { ($0, help) })
    }

    package static func text(_ key: String, _ value: String) -> Figure {
        Figure(key: key, value: .text(value), metric: nil)
    }

    package static func list(_ key: String, _ value: [String]) -> Figure {
        Figure(key: key, value: .list(value), metric: nil)
    }

    package var json: JSONValue {
        switch value {
        case .count(let n): return .int(n)
        case .seconds(let s): return .double(s)
        case .text(let t): return .string(t)
        case .list(let l): return .array(l.map { .string($0) })
        }
    }

    /// The value as a log line shows it.
    package var rendered: String {
        switch value {
        case .count(let n): return String(n)
        case .seconds(let s): return String(format: "%.3f", s)
        case .text(let t): return t
        case .list(let l): return l.joined(separator: ",")
        }
    }
}

/// A pass's report as one list of figures. The JSON a command prints, the metadata of its
/// closing log line and the gauges of its metrics file are all derived from this list, so a
/// figure is named once and appears everywhere (docs/architecture.md, "Contracts").
package protocol PassSummary {
    /// The figures, in the order they are printed.
    var figures: [Figure] { get }
    /// Structured parts for the JSON form only (per-plugin counts, per-item results).
    var details: [String: JSONValue] { get }
    /// Gauges with labels, which a single figure cannot express.
    var labelledMetrics: [MetricsText.Family] { get }
}

extension PassSummary {
    package var details: [String: JSONValue] { [:] }
    package var labelledMetrics: [MetricsText.Family] { [] }

    package var json: JSONValue {
        var o = details
        for f in figures { o[f.key] = f.json }
        return .object(o)
    }

    /// `key value` pairs for the closing log line.
    package var logFields: [(key: String, value: String)] {
        figures.map { ($0.key, $0.rendered) }
    }

    package var metrics: [MetricsText.Family] {
        figures.compactMap { f -> MetricsText.Family? in
            guard let (name, help) = f.metric else { return nil }
            let value: Double
            switch f.value {
            case .count(let n): value = Double(n)
            case .seconds(let s): value = s
            case .text, .list: return nil
            }
            return MetricsText.Family(name: name, help: help, samples: [.init(name, [], value)])
        } + labelledMetrics
    }
}
