import Foundation

/// Substring tests on UTF-8 bytes. `String.contains(_:)` from Foundation bridges through
/// NSString and was the largest single cost of a notice pass (it ran once per action).
extension String {
    /// Whether `needle` occurs in this text (byte for byte).
    package func containsBytes(_ needle: String) -> Bool {
        guard !needle.isEmpty else { return true }
        var text = self, needle = needle
        // glibc's memchr finds the candidates many bytes per step; a candidate's last byte is
        // compared before memcmp is called (a byte loop here cost 28 instructions per byte, about
        // 10,000 per notice child's inputs, and a pass asks several times per action; calling
        // memcmp at every 't' of a notice's inputs for "time_range" cost 1,800 per question).
        return text.withUTF8 { hay in
            needle.withUTF8 { n in
                guard hay.count >= n.count, let h = hay.baseAddress, let p = n.baseAddress else { return false }
                let tail = n.count - 1, last = p[tail]
                var at = h
                let end = h + (hay.count - n.count + 1)
                while at < end, let hit = memchr(at, Int32(p.pointee), end - at) {
                    let c = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self))
                    if c[tail] == last && memcmp(c, p, n.count) == 0 { return true }
                    at = c + 1
                }
                return false
            }
        }
    }
}

extension String {
    /// Whether the text is ASCII without a backslash: JSON keys in it read as their bytes.
    /// Eight bytes at a time (a `utf8.contains` loop cost about 30 instructions a byte).
    package var isASCIIWithoutBackslash: Bool {
        var text = self
        return text.withUTF8 { buf in
            guard let base = buf.baseAddress else { return true }
            var i = 0
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            while i + 8 <= buf.count {
                let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                let backslash = w ^ (ones &* 0x5C)
                // A high bit, or a zero byte where the word had a backslash.
                if (w | ((backslash &- ones) & ~backslash)) & highs != 0 { return false }
                i += 8
            }
            while i < buf.count {
                if buf[i] >= 0x80 || buf[i] == 0x5C { return false }
                i += 1
            }
            return true
        }
    }
}

extension String {
    /// The text without leading and trailing whitespace (Foundation's `.whitespacesAndNewlines`,
    /// or `.whitespaces` when `newlines` is false), trimmed by Unicode scalars: Foundation's own
    /// trimming bridges through NSString and cost a notice as much as rendering it.
    package func trimmingWhitespace(newlines: Bool = true) -> String {
        let scalars = unicodeScalars
        func blank(_ s: Unicode.Scalar) -> Bool {
            let lineBreak = (0x0A...0x0D).contains(s.value) || s.value == 0x85 || s.value == 0x2028 || s.value == 0x2029
            return lineBreak ? newlines : s.properties.isWhitespace
        }
        guard let first = scalars.first, let last = scalars.last, blank(first) || blank(last) else { return self }
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, blank(scalars[start]) { start = scalars.index(after: start) }
        while end > start, blank(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }
}
