/// Prometheus text exposition: families of samples, rendered as node_exporter's textfile
/// collector reads them. Label values are masked like every other output.
public enum MetricsText {
    public struct Sample {
        public var name: String
        public var labels: [(String, String)]
        public var value: Double
        public init(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
            self.name = name
            self.labels = labels
            self.value = value
        }
    }

    public struct Family {
        public var name: String
        public var help: String
        public var type: String
        public var samples: [Sample]
        public init(name: String, help: String, type: String = "gauge", samples: [Sample]) {
            self.name = name
            self.help = help
            self.type = type
            self.samples = samples
        }
    }

    public static func render(_ families: [Family]) -> String {
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
