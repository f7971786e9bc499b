/// Substring tests on UTF-8 bytes. `String.contains(_:)` from Foundation bridges through
/// NSString and was the largest single cost of a notice pass (it ran once per action).
extension String {
    /// Whether `needle` occurs in this text (byte for byte).
    package func containsBytes(_ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard let first = n.first else { return true }
        var text = self
        return text.withUTF8 { hay in
            guard hay.count >= n.count else { return false }
            var i = 0
            let last = hay.count - n.count
            while i <= last {
                if hay[i] == first {
                    var k = 1
                    while k < n.count && hay[i + k] == n[k] { k += 1 }
                    if k == n.count { return true }
                }
                i += 1
            }
            return false
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
