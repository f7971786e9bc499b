/// Cuts text: notice content to a way's length limit (SMS 140 characters by default), and
/// response bodies to the 200-character excerpt that messages quote (as the original's).
package enum TextLimit {
    /// The first 200 characters, with `...` when cut.
    package static func excerpt(_ text: String) -> String {
        text.count > 200 ? String(text.prefix(200)) + "..." : text
    }

    package static func truncate(_ text: String, to limit: Int?) -> String {
        guard let limit, limit > 0, text.count > limit else { return text }
        return String(text.prefix(max(0, limit - 1))) + "…"
    }
}
