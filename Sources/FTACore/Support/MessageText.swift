/// Text that goes into a one-line message (stderr, a log line): control characters are shown
/// escaped, so input holding NUL, ESC, CR or LF can neither cut a message short, split it
/// into lines, nor drive the operator's terminal.
package enum MessageText {
    /// `text` with C0 and C1 control characters and DEL written as `\n`, `\r`, `\t`, `\0` or
    /// `\xHH` (`\u{HHHH}` for C1), everything else as it is.
    package static func escaped(_ text: String) -> String {
        guard needsEscaping(text) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00: out += "\\0"
            case 0x01..<0x20, 0x7F: out += "\\x" + hex(scalar.value, width: 2)
            case 0x80..<0xA0: out += "\\u{" + hex(scalar.value, width: 4) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether `text` has anything ``escaped(_:)`` would change (a fast scan for the usual case).
    package static func needsEscaping(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for b in text.utf8 {
            if b < 0x20 || b == 0x7F { return true }
            // U+0080...U+009F are C2 80...C2 9F in UTF-8.
            if previous == 0xC2, b >= 0x80, b < 0xA0 { return true }
            previous = b
        }
        return false
    }

    static func hex(_ v: UInt32, width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
