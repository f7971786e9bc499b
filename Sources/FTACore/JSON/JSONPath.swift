extension JSONValue {
    /// The value at a dotted path (`data.items.0.id`): object keys and array indexes.
    /// Returns nil when any step is missing.
    package func value(at path: String) -> JSONValue? {
        var current: JSONValue? = self
        for key in path.split(separator: ".", omittingEmptySubsequences: false) {
            switch current {
            case .object(let o)?: current = o[String(key)]
            case .array(let a)?:
                guard let i = Int(key), i >= 0, i < a.count else { return nil }
                current = a[i]
            default: return nil
            }
        }
        return current
    }
}
