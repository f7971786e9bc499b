/// Refuses unknown keys in a JSON object, naming the key and the nearest known one: a typo such
/// as `"metod": "POST"` must not silently send a GET.
package enum KnownKeys {
    /// Throws a ``FieldError`` for the first key of `object` (in sorted order) that is not in
    /// `allowed`; `field` is the object's path. Non-objects pass (their type is checked elsewhere).
    package static func check(_ object: JSONValue?, allowed: Set<String>, field: String) throws {
        guard case .object(let o)? = object else { return }
        for key in o.keys.sorted() where !allowed.contains(key) {
            throw FieldError("\(field).\(key)", unknownMessage(key, allowed: allowed))
        }
    }

    /// `unknown key (did you mean 'method'?)`, or the list of known keys when none is close.
    package static func unknownMessage(_ key: String, allowed: Set<String>) -> String {
        if let near = nearest(key, in: allowed) { return "unknown key (did you mean '\(near)'?)" }
        return "unknown key (known: \(allowed.sorted().joined(separator: ", ")))"
    }

    /// The known name closest to `word` by edit distance, if it is within 2 edits (or 1 for
    /// short names); nil otherwise.
    package static func nearest(_ word: String, in names: some Sequence<String>) -> String? {
        let w = Array(word.lowercased().utf8)
        guard w.count <= 64 else { return nil }
        var best: (name: String, distance: Int)?
        for name in names {
            let n = Array(name.lowercased().utf8)
            let limit = min(n.count, w.count) <= 4 ? 1 : 2
            let d = distance(w, n, limit: limit)
            if d <= limit, best == nil || d < best!.distance || (d == best!.distance && name < best!.name) { best = (name, d) }
        }
        return best?.name
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit; stops early past
    /// `limit` (returns `limit + 1`).
    static func distance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMin = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var v = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { v = min(v, before[j - 2] + 1) }
                current[j] = v
                rowMin = min(rowMin, v)
            }
            if rowMin > limit { return limit + 1 }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
