import Foundation
import Logging

/// swift-log handler writing one line per event to stderr, as text or JSON.
///
/// Text: `2026-11-23T10:00:00Z info fta-tick: pass done claimed=10 failed=0`
/// JSON: `{"time":"…","level":"info","logger":"fta-tick","message":"pass done","claimed":"10",…}`
public struct FTALogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable { case text, json }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let format: Format

    private static let lock = NSLock()

    public init(label: String, format: Format, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        var all = metadata
        if let explicit { all.merge(explicit) { _, b in b } }
        let time = FTALogHandler.timestamp()
        var text: String
        switch format {
        case .text:
            text = "\(time) \(level) \(label): \(message)"
            for (key, value) in all.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(FTALogHandler.quote("\(value)"))" }
        case .json:
            var o: [String: JSONValue] = ["time": .string(time), "level": .string("\(level)"), "logger": .string(label), "message": .string("\(message)")]
            for (k, v) in all { o[k] = .string("\(v)") }
            text = JSONWriter.write(.object(o))
        }
        text += "\n"
        FTALogHandler.lock.lock()
        fputs(text, stderr)
        FTALogHandler.lock.unlock()
    }

    static func quote(_ s: String) -> String {
        guard s.isEmpty || s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        return TimeParser.iso(Int64(tv.tv_sec)).replacingOccurrences(of: "Z", with: String(format: ".%03dZ", Int(tv.tv_usec / 1000)))
    }
}
