import Foundation

/// Prometheus text exposition written atomically (temp file + rename) for node_exporter's
/// textfile collector: a scrape never sees a half-written file.
public struct MetricsFile {
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
                let labels = s.labels.isEmpty ? "" : "{" + s.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
                out += "\(s.name)\(labels) \(JSONWriter.format(s.value))\n"
            }
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    public static func write(_ families: [Family], to path: String) throws {
        let text = render(families)
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) else {
            throw FTAError.environment("metrics file \(path): cannot write \(tmp)")
        }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw FTAError.environment("metrics file \(path): cannot rename into place (\(String(cString: strerror(errno))))")
        }
    }
}
