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
