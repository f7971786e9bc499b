/// Checks for text that goes onto a wire or into a process: HTTP header names and values, URLs,
/// mail addresses, environment names and program arguments. Alert fields are rendered into all
/// of these, and a CR or LF in one of them would let whoever controls an alert add headers or a
/// whole second request. Each check returns nil when the text is safe, or why it is not.
package enum WireCheck {
    /// A header name: an RFC 9110 token (letters, digits and ``!#$%&'*+-.^_`|~``).
    package static func headerName(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        for b in name.utf8 where !isTokenByte(b) {
            return b < 0x20 || b == 0x7F ? "contains a control character (\(describe(b)))" : "contains '\(describe(b))', which a header name may not"
        }
        return nil
    }

    /// A header value: visible text, spaces and tabs; no CR, LF, NUL or other control character.
    package static func headerValue(_ value: String) -> String? {
        for b in value.utf8 where (b < 0x20 && b != 0x09) || b == 0x7F {
            return "contains a control character (\(describe(b)))"
        }
        return nil
    }

    /// A URL as sent: no control characters and no spaces (percent-encode them, or put alert
    /// values in `query_params`, which fta encodes).
    package static func url(_ url: String) -> String? {
        for b in url.utf8 {
            if b < 0x20 || b == 0x7F { return "contains a control character (\(describe(b)))" }
            if b == 0x20 { return "contains a space (percent-encode it as %20, or pass the value in query_params)" }
        }
        return nil
    }

    /// A mail address for the SMTP envelope and the To/From headers: one address, no spaces,
    /// angle brackets, commas or control characters.
    package static func mailAddress(_ address: String) -> String? {
        if address.isEmpty { return "is empty" }
        for b in address.utf8 {
            if b < 0x20 || b == 0x7F { return "contains a control character (\(describe(b)))" }
            if b == 0x20 || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || b == UInt8(ascii: ",") {
                return "contains '\(describe(b))', which a single mail address may not"
            }
        }
        return address.utf8.contains(UInt8(ascii: "@")) ? nil : "is not a mail address (no @)"
    }

    /// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
    package static func environmentName(_ name: String) -> String? {
        guard let first = name.utf8.first else { return "is empty" }
        if first >= 0x30 && first <= 0x39 { return "starts with a digit" }
        for b in name.utf8 where !(isAlphanumeric(b) || b == UInt8(ascii: "_")) {
            return "contains '\(describe(b))' (names are letters, digits and _)"
        }
        return nil
    }

    /// A program argument or environment value: anything but NUL, which would cut it short.
    package static func processText(_ text: String) -> String? {
        text.utf8.contains(0) ? "contains a NUL byte" : nil
    }

    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    static func isTokenByte(_ b: UInt8) -> Bool {
        if isAlphanumeric(b) { return true }
        switch b {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `CR`, `LF`, `NUL`, `0x1b`, or the character itself.
    static func describe(_ b: UInt8) -> String {
        switch b {
        case 0x0D: return "CR"
        case 0x0A: return "LF"
        case 0x00: return "NUL"
        case 0x09: return "TAB"
        case 0x20: return "space"
        default:
            if b < 0x20 || b >= 0x7F { return "0x" + String(b, radix: 16) }
            return String(UnicodeScalar(b))
        }
    }
}
