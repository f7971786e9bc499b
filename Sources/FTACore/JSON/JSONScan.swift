import Foundation

extension JSONParser {
    /// Top-level members of a JSON object's text, found by a structural scan that does not
    /// validate what it skips: a string is passed over to its closing quote, a container by
    /// counting brackets. Only the wanted values are parsed, strictly.
    ///
    /// For hints that a strict parse confirms later (a notice pass groups children by a key
    /// read this way, and each child's worker parses its inputs in full): the pass's recording
    /// thread spent about 20,000 instructions a child on the strict walk (docs/decisions.md,
    /// "Pass throughput"). It stops once every wanted key is found. It never disagrees with
    /// ``members(of:_:)`` on a text that parses: it gives up (nil) when it cannot be sure —
    /// not an object, unbalanced, text after the object, a top-level key with an escape or a
    /// non-ASCII byte (which may compare equal to a wanted key once decoded), or a wanted key
    /// twice, where these come before the last wanted key or one is missing. On a text that
    /// does not parse it may still find members; the strict parse then decides.
    ///
    /// The result has one entry per key, in order: nil where the key is absent or its value is
    /// not valid JSON.
    package static func scannedMembers(of text: String, _ keys: [StaticString]) -> [JSONValue?]? {
        precondition(keys.count <= 64, "at most 64 keys")
        var text = text
        return text.withUTF8 { b -> [JSONValue?]? in
            guard let base = b.baseAddress else { return nil }
            var s = Scan(p: base, n: b.count)
            var out = [JSONValue?](repeating: nil, count: keys.count)
            var seen: UInt64 = 0
            let every: UInt64 = keys.count == 64 ? ~0 : (1 << UInt64(keys.count)) - 1
            s.space()
            guard s.at(UInt8(ascii: "{")) else { return nil }
            s.i += 1
            s.space()
            if s.at(UInt8(ascii: "}")) {
                s.i += 1
            } else {
                while true {
                    s.space()
                    guard s.at(UInt8(ascii: "\"")) else { return nil }
                    let keyStart = s.i + 1
                    var plain = true
                    guard s.string(plain: &plain), plain else { return nil }
                    let keyCount = s.i - 1 - keyStart
                    s.space()
                    guard s.at(UInt8(ascii: ":")) else { return nil }
                    s.i += 1
                    s.space()
                    let valueStart = s.i
                    guard s.value() else { return nil }
                    for (k, key) in keys.enumerated() where key.utf8CodeUnitCount == keyCount {
                        guard keyCount == 0 || memcmp(key.utf8Start, base + keyStart, keyCount) == 0 else { continue }
                        let bit: UInt64 = 1 << UInt64(k)
                        if seen & bit != 0 { return nil }
                        seen |= bit
                        out[k] = try? parse(validUTF8: UnsafeBufferPointer(rebasing: b[valueStart..<s.i]))
                        // The rest is not read: a text that parses has no second one.
                        if seen == every { return out }
                    }
                    s.space()
                    if s.at(UInt8(ascii: ",")) { s.i += 1; continue }
                    if s.at(UInt8(ascii: "}")) { s.i += 1; break }
                    return nil
                }
            }
            s.space()
            return s.i == s.n ? out : nil
        }
    }

    /// The cursor of ``scannedMembers(of:_:)``: a struct over a pointer, so the loops read
    /// bytes without bounds or exclusivity checks (a closure over a captured index paid both).
    private struct Scan {
        let p: UnsafePointer<UInt8>
        let n: Int
        var i = 0

        @inline(__always) func at(_ c: UInt8) -> Bool { i < n && p[i] == c }

        @inline(__always) mutating func space() {
            while i < n, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
        }

        /// Past the string whose opening quote is at `i`; false if it does not end. `plain`
        /// says whether its bytes had no escape and no byte of 0x80 or above.
        @inline(__always) mutating func string(plain: inout Bool) -> Bool {
            i += 1
            var highs: UInt64 = 0
            while true {
                // Eight bytes at a time up to the first quote, backslash or control byte (the
                // byte loop below passes over a control byte).
                while i + 8 <= n {
                    let w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                    if Parser.hasSpecialByte(w) { break }
                    highs |= w
                    i += 8
                }
                guard i < n else { return false }
                let c = p[i]
                if c == UInt8(ascii: "\"") {
                    plain = plain && highs & 0x8080_8080_8080_8080 == 0
                    i += 1
                    return true
                }
                if c == UInt8(ascii: "\\") { plain = false; i += 2; continue }
                highs |= UInt64(c)
                i += 1
            }
        }

        @inline(__always) mutating func string() -> Bool {
            var plain = true
            return string(plain: &plain)
        }

        /// Past the value starting at `i`; false if it does not end where a value can.
        mutating func value() -> Bool {
            guard i < n else { return false }
            switch p[i] {
            case UInt8(ascii: "\""):
                return string()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while i < n {
                    switch p[i] {
                    case UInt8(ascii: "\""):
                        guard string() else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 { i += 1; return true }
                    default: break
                    }
                    i += 1
                }
                return false
            default:
                // A number or a literal: up to the next delimiter.
                let start = i
                while i < n {
                    let c = p[i]
                    if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { break }
                    i += 1
                }
                return i > start
            }
        }
    }
}
