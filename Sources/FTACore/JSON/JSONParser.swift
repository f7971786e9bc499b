import Foundation

/// Error from ``JSONParser``: what was wrong and at which byte offset.
package struct JSONParseError: Error, CustomStringConvertible, Sendable {
    package let message: String
    package let offset: Int
    package var description: String { "invalid JSON at byte \(offset + 1): \(message)" }
}

/// A strict RFC 8259 parser over UTF-8 bytes producing ``JSONValue``.
package enum JSONParser {
    package static func parse(_ text: String) throws -> JSONValue {
        // A String is valid UTF-8 already.
        var text = text
        return try text.withUTF8 { try parse(validUTF8: $0) }
    }

    package static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            try parse(bytes: UnsafeBufferPointer(start: raw.bindMemory(to: UInt8.self).baseAddress, count: raw.count))
        }
    }

    /// Parses raw bytes; invalid UTF-8 is an error (RFC 8259 §8.1), not replaced.
    package static func parse(bytes: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        if let bad = UTF8Check.firstInvalid(bytes) { throw JSONParseError(message: "invalid UTF-8", offset: bad) }
        return try parse(validUTF8: bytes)
    }

    static func parse(validUTF8 bytes: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        var p = Parser(bytes: bytes)
        p.skipSpace()
        let value = try p.parseValue(depth: 0)
        p.skipSpace()
        if p.pos < bytes.count { throw p.fail("unexpected text after the value") }
        return value
    }

    /// One member of a top-level object: its key and the byte range of its (validated) value.
    package struct Field {
        package var key: String
        package var range: Range<Int>
        /// First byte of the value: `{`, `[`, `"`, a digit, `-`, `t`, `f` or `n`.
        package var first: UInt8
    }

    /// Validates a whole JSON object and returns its members without building their values,
    /// so that large nested values can be stored as the text they came in.
    package static func topLevelFields(bytes: UnsafeBufferPointer<UInt8>) throws -> [Field] {
        if let bad = UTF8Check.firstInvalid(bytes) { throw JSONParseError(message: "invalid UTF-8", offset: bad) }
        var p = Parser(bytes: bytes)
        p.skipSpace()
        guard p.pos < bytes.count, bytes[p.pos] == UInt8(ascii: "{") else {
            if p.pos >= bytes.count { throw p.fail("empty line") }
            let v = try p.parseValue(depth: 0)
            throw JSONParseError(message: "expected a JSON object, found \(v.typeName)", offset: 0)
        }
        var fields: [Field] = []
        try p.walkTopLevelObject(decodingKeys: true) { key, _, value in
            fields.append(Field(key: key, range: value, first: bytes[value.lowerBound]))
        }
        return fields
    }

    /// One member of a JSON object's text, parsed alone (the rest of the text is only scanned).
    package static func member(of text: String, _ key: String) -> JSONValue? { members(of: text, [key])[key] }

    /// Several members of a JSON object's text with one scan; missing or unparsable ones are absent.
    package static func members(of text: String, _ keys: [String]) -> [String: JSONValue] {
        guard text.utf8.count > 2 else { return [:] }
        var text = text
        return text.withUTF8 { buf -> [String: JSONValue] in
            do {
                return try selected(validUTF8: buf, keys) ?? slowMembers(buf, keys)
            } catch {
                return [:]
            }
        }
    }

    /// ``members(of:_:)`` through ``topLevelFields(bytes:)``: every key decoded to a String.
    static func slowMembers(_ buf: UnsafeBufferPointer<UInt8>, _ keys: [String]) -> [String: JSONValue] {
        guard let fields = try? topLevelFields(bytes: buf) else { return [:] }
        var out: [String: JSONValue] = [:]
        for f in fields where keys.contains(f.key) {
            out[f.key] = try? parse(validUTF8: UnsafeBufferPointer(rebasing: buf[f.range]))
        }
        return out
    }

    /// The same validation as ``topLevelFields(bytes:)`` (the whole object, duplicate keys at
    /// every level), with the top-level keys compared as raw bytes instead of decoded Strings:
    /// a notice child's inputs are read this way twice per pass, and decoding every key cost
    /// about 31,000 instructions a call (BENCHMARKS.md, "Throughput"). nil when a key has an
    /// escape or a non-ASCII byte, whose bytes may differ from the text it compares as: the
    /// caller decodes then.
    static func selected(validUTF8 bytes: UnsafeBufferPointer<UInt8>, _ keys: [String]) throws -> [String: JSONValue]? {
        var p = Parser(bytes: bytes)
        p.skipSpace()
        guard p.pos < bytes.count, bytes[p.pos] == UInt8(ascii: "{") else { throw p.fail("expected a JSON object") }
        var out: [String: JSONValue] = [:]
        out.reserveCapacity(keys.count)
        // The wanted keys' bytes once, compared with memcmp (comparing through `String.utf8`
        // cost more than walking the object).
        let wanted = keys.map { Array($0.utf8) }
        guard let base = bytes.baseAddress else { return out }
        do {
            try p.walkTopLevelObject(decodingKeys: false) { _, quoted, value in
                let start = quoted.lowerBound + 1, count = quoted.count - 2
                for (i, key) in wanted.enumerated() where key.count == count {
                    guard count == 0 || key.withUnsafeBufferPointer({ memcmp($0.baseAddress!, base + start, count) == 0 }) else { continue }
                    out[keys[i]] = try? parse(validUTF8: UnsafeBufferPointer(rebasing: bytes[value]))
                }
            }
        } catch is Parser.KeyNeedsDecoding {
            return nil
        }
        return out
    }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var pos = 0
        /// Raw byte ranges of the keys of the objects being skipped, innermost last (for the
        /// duplicate-key check).
        var keys: [Range<Int>] = []

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        /// A raw key with an escape or a non-ASCII byte, met by a walk that does not decode.
        struct KeyNeedsDecoding: Error {}

        /// Walks the members of the object whose `{` is at `pos`, then checks that nothing
        /// follows it; duplicate keys are refused. `member` gets each key (decoded when
        /// `decodingKeys`, else empty: a key that would need decoding stops the walk with
        /// ``KeyNeedsDecoding``), the range of the quoted key and the range of the validated value.
        mutating func walkTopLevelObject(decodingKeys: Bool, _ member: (String, Range<Int>, Range<Int>) throws -> Void) throws {
            pos += 1
            var decoded: [String] = []
            keys.reserveCapacity(32)
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
                pos += 1
            } else {
                while true {
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                    let keyStart = pos
                    var key = ""
                    if decodingKeys {
                        key = try parseString()
                        if decoded.contains(key) { throw JSONParseError(message: "duplicate key \(Parser.quoted(key))", offset: keyStart) }
                        decoded.append(key)
                    } else {
                        try skipString()
                        // (Non-ASCII keys too: Strings compare canonically, "é" == "e\u{301}".)
                        if bytes[(keyStart + 1)..<(pos - 1)].contains(where: { $0 == 0x5C || $0 >= 0x80 }) { throw KeyNeedsDecoding() }
                        if isDuplicate(keyStart..<pos, from: 0) { throw fail("duplicate key") }
                        keys.append(keyStart..<pos)
                    }
                    let quoted = keyStart..<pos
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
                    pos += 1
                    skipSpace()
                    guard pos < bytes.count else { throw fail("unexpected end of input") }
                    let start = pos
                    try skipValue(depth: 1)
                    try member(key, quoted, start..<pos)
                    skipSpace()
                    guard pos < bytes.count else { throw fail("unterminated object") }
                    if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    if bytes[pos] == UInt8(ascii: "}") { pos += 1; break }
                    throw fail("expected ',' or '}' in object")
                }
            }
            skipSpace()
            if pos < bytes.count { throw fail("unexpected text after the value") }
        }

        func fail(_ message: String) -> JSONParseError { JSONParseError(message: message, offset: pos) }

        /// A key for a message: quoted, control characters escaped, long ones cut.
        static func quoted(_ key: String) -> String {
            let short = key.count > 40 ? String(key.prefix(40)) + "…" : key
            return "'" + MessageText.escaped(short) + "'"
        }

        /// A byte for a message: `'x'` when printable ASCII, else its hex value.
        static func describe(_ b: UInt8) -> String {
            b >= 0x21 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x" + String(b, radix: 16)
        }

        /// Whether the raw key at `range` equals one of the keys in `keys[from...]`.
        func isDuplicate(_ range: Range<Int>, from: Int) -> Bool {
            guard let base = bytes.baseAddress, from < keys.count else { return false }
            for other in keys[from...] where other.count == range.count {
                if memcmp(base + other.lowerBound, base + range.lowerBound, range.count) == 0 { return true }
            }
            return false
        }

        mutating func skipSpace() {
            while pos < bytes.count {
                let c = bytes[pos]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { break }
            }
        }

        mutating func parseValue(depth: Int) throws -> JSONValue {
            guard depth < 256 else { throw fail("nesting deeper than 256 levels") }
            guard pos < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[pos] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw fail("unexpected character \(Parser.describe(bytes[pos]))")
            }
        }

        /// Validates one value and moves past it without building it.
        mutating func skipValue(depth: Int) throws {
            guard depth < 256 else { throw fail("nesting deeper than 256 levels") }
            guard pos < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[pos] {
            case UInt8(ascii: "{"):
                pos += 1
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return }
                let firstKey = keys.count
                defer { keys.removeSubrange(firstKey...) }
                while true {
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                    let keyStart = pos
                    try skipString()
                    let key = keyStart..<pos
                    if isDuplicate(key, from: firstKey) {
                        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[(keyStart + 1)..<(pos - 1)]), as: UTF8.self)
                        throw JSONParseError(message: "duplicate key \(Parser.quoted(text))", offset: keyStart)
                    }
                    keys.append(key)
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
                    pos += 1
                    skipSpace()
                    try skipValue(depth: depth + 1)
                    skipSpace()
                    guard pos < bytes.count else { throw fail("unterminated object") }
                    if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    if bytes[pos] == UInt8(ascii: "}") { pos += 1; return }
                    throw fail("expected ',' or '}' in object")
                }
            case UInt8(ascii: "["):
                pos += 1
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return }
                while true {
                    skipSpace()
                    try skipValue(depth: depth + 1)
                    skipSpace()
                    guard pos < bytes.count else { throw fail("unterminated array") }
                    if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    if bytes[pos] == UInt8(ascii: "]") { pos += 1; return }
                    throw fail("expected ',' or ']' in array")
                }
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
            default: throw fail("unexpected character \(Parser.describe(bytes[pos]))")
            }
        }

        /// Validates a number's syntax without converting it.
        mutating func skipNumber() throws {
            if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) else { throw fail("invalid number") }
            if bytes[pos] == UInt8(ascii: "0") {
                pos += 1
            } else {
                while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
                pos += 1
                let digits = pos
                while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
                if pos == digits { throw fail("invalid number: digits expected after '.'") }
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
                pos += 1
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
                let digits = pos
                while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
                if pos == digits { throw fail("invalid number: digits expected in exponent") }
            }
        }

        /// Whether any of the eight bytes of `w` is a quote, a backslash or a control character
        /// (the bytes a string scan must stop at); bytes of 0x80 and above never match. Also
        /// used by ``JSONParser/scannedMembers(of:_:)``.
        @inline(__always)
        static func hasSpecialByte(_ w: UInt64) -> Bool {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
            let zeroInQuote = (quote &- ones) & ~quote
            let zeroInBackslash = (backslash &- ones) & ~backslash
            let control = (w &- ones &* 0x20) & ~w
            return (zeroInQuote | zeroInBackslash | control) & highs != 0
        }

        mutating func skipString() throws {
            pos += 1
            while pos < bytes.count {
                // Eight plain bytes at a time; the byte loop below handles whatever stops it.
                if let base = bytes.baseAddress {
                    while pos + 8 <= bytes.count {
                        let w = UInt64(littleEndian: UnsafeRawPointer(base + pos).loadUnaligned(as: UInt64.self))
                        if Parser.hasSpecialByte(w) { break }
                        pos += 8
                    }
                    guard pos < bytes.count else { break }
                }
                let c = bytes[pos]
                if c == UInt8(ascii: "\"") { pos += 1; return }
                if c < 0x20 { throw fail("control character in string") }
                if c == UInt8(ascii: "\\") {
                    pos += 1
                    guard pos < bytes.count else { break }
                    switch bytes[pos] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        pos += 1
                    case UInt8(ascii: "u"):
                        pos += 1
                        _ = try hex4()
                    default: throw fail("invalid escape")
                    }
                    continue
                }
                pos += 1
            }
            throw fail("unterminated string")
        }

        mutating func literal(_ word: StaticString) throws {
            let n = word.utf8CodeUnitCount
            guard pos + n <= bytes.count else { throw fail("unexpected end of input") }
            let w = word.utf8Start
            for i in 0..<n where bytes[pos + i] != w[i] { throw fail("invalid literal") }
            pos += n
        }

        mutating func parseObject(depth: Int) throws -> JSONValue {
            pos += 1
            var dict: [String: JSONValue] = [:]
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(dict) }
            while true {
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let keyStart = pos
                let key = try parseString()
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
                pos += 1
                skipSpace()
                if dict.updateValue(try parseValue(depth: depth + 1), forKey: key) != nil {
                    throw JSONParseError(message: "duplicate key \(Parser.quoted(key))", offset: keyStart)
                }
                skipSpace()
                guard pos < bytes.count else { throw fail("unterminated object") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(dict) }
                throw fail("expected ',' or '}' in object")
            }
        }

        mutating func parseArray(depth: Int) throws -> JSONValue {
            pos += 1
            var items: [JSONValue] = []
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard pos < bytes.count else { throw fail("unterminated array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw fail("expected ',' or ']' in array")
            }
        }

        mutating func parseString() throws -> String {
            pos += 1
            let start = pos
            // Fast path: no escapes.
            while pos < bytes.count {
                let c = bytes[pos]
                if c == UInt8(ascii: "\"") {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
                    pos += 1
                    return s
                }
                if c == UInt8(ascii: "\\") { break }
                if c < 0x20 { throw fail("control character in string") }
                pos += 1
            }
            guard pos < bytes.count else { throw fail("unterminated string") }
            var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<pos]))
            while pos < bytes.count {
                let c = bytes[pos]
                if c == UInt8(ascii: "\"") {
                    pos += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") { out.append(c); pos += 1; continue }
                pos += 1
                guard pos < bytes.count else { throw fail("unterminated string") }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                        else { throw fail("unpaired surrogate in \\u escape") }
                        pos += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("unpaired surrogate in \\u escape")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("invalid escape \\ followed by \(Parser.describe(e))")
                }
            }
            throw fail("unterminated string")
        }

        mutating func hex4() throws -> UInt32 {
            guard pos + 4 <= bytes.count else { throw fail("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[pos]
                var d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw fail("invalid hex digit in \\u escape")
                }
                d &= 0xF
                v = v << 4 | d
                pos += 1
            }
            return v
        }

        mutating func parseNumber() throws -> JSONValue {
            let start = pos
            try skipNumber()
            let slice = UnsafeBufferPointer(rebasing: bytes[start..<pos])
            let isInteger = !slice.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
            let text = String(decoding: slice, as: UTF8.self)
            if isInteger, let i = Int64(text) { return .int(i) }
            guard let d = Double(text) else { throw fail("invalid number") }
            return .double(d)
        }
    }
}
