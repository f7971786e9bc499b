/// Prometheus text exposition: families of samples, rendered as node_exporter's textfile
/// collector reads them. Label values are masked like every other output.
package enum MetricsText {
    package struct Sample {
        package var name: String
        package var labels: [(String, String)]
        package var value: Double
        package init(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
            self.name = name
            self.labels = labels
            self.value = value
        }
    }

    package struct Family {
        package var name: String
        package var help: String
        package var type: String
        package var samples: [Sample]
        package init(name: String, help: String, type: String = "gauge", samples: [Sample]) {
            self.name = name
            self.help = help
            self.type = type
            self.samples = samples
        }
    }

    package static func render(_ families: [Family]) -> String {
        var out = ""
        for f in families {
            out += "# HELP \(f.name) \(f.help)\n# TYPE \(f.name) \(f.type)\n"
            for s in f.samples {
                let labels = s.labels.isEmpty ? "" : "{" + s.labels.map { "\($0.0)=\"\(escape(Redactor.maskText($0.1)))\"" }.joined(separator: ",") + "}"
                out += "\(s.name)\(labels) \(JSONWriter.format(s.value))\n"
            }
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
