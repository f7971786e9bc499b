import Foundation
import FTACore
import Logging

/// swift-log handler writing one line per event to stderr, as text or JSON.
///
/// Text: `2026-11-23T10:00:00Z info fta-tick: pass done claimed=10 failed=0`
/// JSON: `{"time":"…","level":"info","logger":"fta-tick","message":"pass done","claimed":"10",…}`
package struct FTALogHandler: LogHandler {
    package enum Format: String, Sendable, CaseIterable { case text, json }

    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level
    let label: String
    let format: Format

    private static let lock = NSLock()

    package init(label: String, format: Format, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        var all = metadata
        if let explicit { all.merge(explicit) { _, b in b } }
        FTALogHandler.emit(label: label, format: format, level: "\(level)", message: "\(message)",
                           fields: all.map { ($0.key, .string("\($0.value)")) })
    }

    /// Writes one line to stderr in `format`: secrets masked (``Redactor/maskText(_:)``) and,
    /// in text, control characters escaped, so a value from input can neither leak a credential
    /// nor break the line. Everything fta prints about a run goes through here.
    package static func emit(label: String, format: Format, level: String, message: String, fields: [(String, JSONValue)]) {
        let time = FTALogHandler.timestamp()
        var text: String
        switch format {
        case .text:
            text = "\(time) \(level) \(label): \(MessageText.escaped(Redactor.maskText(message)))"
            for (key, value) in fields.sorted(by: { $0.0 < $1.0 }) {
                text += " \(MessageText.escaped(key))=\(FTALogHandler.quote(MessageText.escaped(Redactor.maskText(value.scalarText ?? value.jsonText))))"
            }
        case .json:
            var o: [String: JSONValue] = ["time": .string(time), "level": .string(level), "logger": .string(label),
                                          "message": .string(Redactor.maskText(message))]
            for (k, v) in fields where o[k] == nil { o[k] = Redactor.maskSecrets(v) }
            text = JSONWriter.write(.object(o))
        }
        text += "\n"
        FTALogHandler.lock.lock()
        fputs(text, stderr)
        FTALogHandler.lock.unlock()
    }

    static func quote(_ s: String) -> String {
        guard s.isEmpty || s.utf8.contains(where: { $0 == 0x20 || $0 == 0x22 || $0 == 0x3D }) else { return s }
        // Built as bytes: Foundation's replacingOccurrences cost more than the rest of the line.
        var out: [UInt8] = [0x22]
        out.reserveCapacity(s.utf8.count + 4)
        for b in s.utf8 {
            if b == 0x5C || b == 0x22 { out.append(0x5C) }
            out.append(b)
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }

    /// `2026-11-23T10:00:00.123Z`.
    static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var iso = TimeParser.iso(Int64(tv.tv_sec))
        let ms = Int(tv.tv_usec / 1000)
        iso.removeLast()
        return iso + "." + String(UnicodeScalar(UInt8(48 + ms / 100))) + String(UnicodeScalar(UInt8(48 + ms / 10 % 10))) + String(UnicodeScalar(UInt8(48 + ms % 10))) + "Z"
    }
}
