/// Cuts notice content to a way's length limit (SMS 140 characters by default), marking the cut.
public enum TextLimit {
    public static func truncate(_ text: String, to limit: Int?) -> String {
        guard let limit, limit > 0, text.count > limit else { return text }
        return String(text.prefix(max(0, limit - 1))) + "…"
    }
}
