import Foundation

/// Writes ``JSONValue`` as compact JSON with sorted object keys (stable output for
/// columns, tests and diffs). Non-ASCII text is written as UTF-8, not escaped.
package enum JSONWriter {
    package static func write(_ value: JSONValue) -> String {
        var out = [UInt8]()
        out.reserveCapacity(128)
        append(value, to: &out, pretty: false, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// Indented output for people (`show`, `--json` of operator commands).
    package static func writePretty(_ value: JSONValue) -> String {
        var out = [UInt8]()
        append(value, to: &out, pretty: true, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    package static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d.rounded() == d, abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    static func append(_ value: JSONValue, to out: inout [UInt8], pretty: Bool, indent: Int) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: format(d).utf8)
        case .string(let s): appendString(s, to: &out)
        case .array(let a):
            if a.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, item) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(&out, indent + 1) }
                append(item, to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            // The members sorted whole: sorting the keys and looking each value up again
            // hashed every key a second time.
            for (i, member) in o.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(&out, indent + 1) }
                appendMember(member.key, member.value, to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// `"key":value` (`"key": value` when pretty).
    private static func appendMember(_ key: String, _ value: JSONValue, to out: inout [UInt8], pretty: Bool = false, indent: Int = 0) {
        appendString(key, to: &out)
        out.append(UInt8(ascii: ":"))
        if pretty { out.append(0x20) }
        append(value, to: &out, pretty: pretty, indent: indent)
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(0x0A)
        for _ in 0..<(indent * 2) { out.append(0x20) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { buf in
            // Runs of bytes that need no escape are copied whole (appending byte by byte was the
            // writer's largest cost in a pass's instruction profile).
            var run = 0, i = 0
            let raw = UnsafeRawPointer(buf.baseAddress)
            while i < buf.count {
                // Eight plain bytes at a time (the parser's test for a byte to stop at); the byte
                // test below decides at whatever stops it.
                if let raw {
                    while i + 8 <= buf.count, !JSONParser.Parser.hasSpecialByte(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))) {
                        i += 8
                    }
                    guard i < buf.count else { break }
                }
                let c = buf[i]
                if c >= 0x20 && c != 0x22 && c != 0x5C { i += 1; continue }
                if run < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[run..<i])) }
                switch c {
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                default:
                    out.append(contentsOf: "\\u00".utf8)
                    out.append(hex[Int(c >> 4)])
                    out.append(hex[Int(c & 0xF)])
                }
                i += 1
                run = i
            }
            if run < buf.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[run..<buf.count])) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// An object's members written once, for writing many objects that share most of them
    /// (the notice children of one alert differ from their parent's inputs in three members).
    /// ``text(adding:)`` gives exactly what ``write(_:)`` gives for the merged object.
    package struct Members {
        /// Sorted by key as ``write(_:)`` sorts them; each `"key":value`.
        private let members: [(key: String, text: [UInt8])]

        package init(_ object: [String: JSONValue]) {
            members = object.sorted { $0.key < $1.key }.map { member in
                var text: [UInt8] = []
                JSONWriter.appendMember(member.key, member.value, to: &text)
                return (member.key, text)
            }
        }

        /// The object with `extra`'s members added; an extra member replaces one of the same key.
        package func text(adding extra: [String: JSONValue]) -> String {
            let added = extra.sorted { $0.key < $1.key }
            var out: [UInt8] = []
            out.reserveCapacity(members.reduce(2) { $0 + $1.text.count + 1 } + 32 * added.count)
            out.append(UInt8(ascii: "{"))
            var first = true
            func comma() { if first { first = false } else { out.append(UInt8(ascii: ",")) } }
            var i = 0, j = 0
            while i < members.count || j < added.count {
                if j == added.count || (i < members.count && members[i].key < added[j].key) {
                    comma()
                    out.append(contentsOf: members[i].text)
                    i += 1
                } else {
                    // A replaced member keeps its key's spelling, as a dictionary's merge does
                    // (two keys can be equal as Swift strings with different bytes).
                    var key = added[j].key
                    if i < members.count && members[i].key == key { key = members[i].key; i += 1 }
                    comma()
                    JSONWriter.appendMember(key, added[j].value, to: &out)
                    j += 1
                }
            }
            out.append(UInt8(ascii: "}"))
            return String(decoding: out, as: UTF8.self)
        }
    }
}
