/// The original's Elasticsearch layout (docs/decisions.md "Index layout"): documents live in
/// physical indices `<prefix>_<YYYYMMDD>_<n>`; each day of `create_time` has a write alias
/// `write_<YYYYMMDD>_<prefix>` over exactly one of them and a read alias
/// `<prefix>_<YYYYMMDD>_read` over every one that ever took that day's documents.
///
/// This type only plans: given what the cluster has, which index to create, which aliases to
/// add or move, which indices and aliases have passed the retention. fta-sync carries the plan
/// out with the REST API.
package struct AliasLayout: Sendable, Equatable {
    package let prefix: String

    package init(prefix: String) { self.prefix = prefix }

    /// One physical index: its day, its number within the day, its primary store size and aliases.
    package struct Index: Sendable, Equatable {
        package var name: String
        package var day: String
        package var n: Int
        package var bytes: Int64
        package var docs: Int64 = 0
        package var aliases: Set<String>
    }

    package enum AliasAction: Sendable, Equatable {
        case add(index: String, alias: String)
        case remove(index: String, alias: String)

        /// One entry of `POST /_aliases`.
        package var json: JSONValue {
            switch self {
            case .add(let i, let a): return ["add": ["index": .string(i), "alias": .string(a)]]
            case .remove(let i, let a): return ["remove": ["index": .string(i), "alias": .string(a)]]
            }
        }
    }

    /// What a run changes before it exports.
    package struct Plan: Sendable, Equatable {
        /// A new physical index (the first one, or a rollover).
        package var create: String?
        /// Why: "first", "size" or "mapping".
        package var reason: String?
        /// Applied in one atomic `_aliases` request, after `create`.
        package var aliasActions: [AliasAction] = []
        /// Indices whose every day has passed the retention.
        package var deleteIndices: [String] = []
    }

    /// `YYYYMMDD` of a Unix time, in UTC (as the original's index dates).
    package static func day(_ epoch: Int64) -> String {
        let days = Int(epoch >= 0 ? epoch / 86400 : (epoch - 86399) / 86400)
        let (y, m, d) = TimeParser.civilFromDays(days)
        func pad(_ v: Int, _ width: Int) -> String {
            let t = String(v)
            return t.count >= width ? t : String(repeating: "0", count: width - t.count) + t
        }
        return pad(y, 4) + pad(m, 2) + pad(d, 2)
    }

    /// The Unix time of a day's midnight (UTC), nil for a malformed day.
    package static func midnight(_ day: String) -> Int64? {
        let u = Array(day.utf8)
        guard u.count == 8, u.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(day) else { return nil }
        let (y, m, d) = (v / 10000, v / 100 % 100, v % 100)
        guard (1...12).contains(m), (1...31).contains(d) else { return nil }
        return Int64(TimeParser.daysFromCivil(y, m, d)) * 86400
    }

    package func writeAlias(_ day: String) -> String { "write_\(day)_\(prefix)" }
    package func readAlias(_ day: String) -> String { "\(prefix)_\(day)_read" }
    package func indexName(day: String, n: Int) -> String { "\(prefix)_\(day)_\(n)" }
    /// What the index template must cover: every physical index (and nothing of the plain layout's
    /// other patterns).
    package var templateGlob: String { "\(prefix)_*" }

    /// The day and number of a physical index of this prefix, nil for any other name.
    package func parseIndex(_ name: String) -> (day: String, n: Int)? {
        guard name.hasPrefix(prefix + "_") else { return nil }
        let rest = name.dropFirst(prefix.count + 1)
        let parts = rest.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 8, AliasLayout.midnight(String(parts[0])) != nil,
              !parts[1].isEmpty, parts[1].count <= 9, parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(parts[1]) else { return nil }
        return (String(parts[0]), n)
    }

    /// The day an alias of this layout is for, nil for an alias fta did not make.
    package func aliasDay(_ alias: String) -> String? {
        if alias.hasPrefix("write_"), alias.hasSuffix("_" + prefix) {
            let day = String(alias.dropFirst(6).dropLast(prefix.count + 1))
            return AliasLayout.midnight(day) != nil ? day : nil
        }
        if alias.hasPrefix(prefix + "_"), alias.hasSuffix("_read") {
            let day = String(alias.dropFirst(prefix.count + 1).dropLast(5))
            return AliasLayout.midnight(day) != nil ? day : nil
        }
        return nil
    }

    /// The cluster as far as this layout goes: its physical indices, and per day the index the
    /// write alias points to and the indices the read alias spans.
    package struct State: Sendable, Equatable {
        package var indices: [Index]
        package var writeIndex: [String: String] = [:]
        package var readIndices: [String: Set<String>] = [:]

        /// The index new days are aliased to: the highest (day, number).
        package var current: Index? { indices.max { ($0.day, $0.n) < ($1.day, $1.n) } }
    }

    /// Builds the state from `GET /<prefix>_*/_stats/store,docs` and `GET /<prefix>_*/_alias`
    /// (index name → store bytes and documents, index name → aliases); other names are ignored.
    package func state(sizes: [String: (bytes: Int64, docs: Int64)], aliases: [String: Set<String>]) -> State {
        var s = State(indices: [])
        for (name, size) in sizes {
            guard let (day, n) = parseIndex(name) else { continue }
            let own = aliases[name] ?? []
            s.indices.append(Index(name: name, day: day, n: n, bytes: size.bytes, docs: size.docs, aliases: own))
            for a in own {
                guard let d = aliasDay(a) else { continue }
                if a.hasPrefix("write_") { s.writeIndex[d] = name } else { s.readIndices[d, default: []].insert(name) }
            }
        }
        s.indices.sort { ($0.day, $0.n) < ($1.day, $1.n) }
        return s
    }

    /// The maintenance for a run at `now`: a first index, or a new one when the current index
    /// passed `rolloverBytes` (or the mapping changed and it holds documents); today's and
    /// tomorrow's aliases on the current index (write aliases moved off older ones, read aliases
    /// added); with `retentionDays` > 0, indices whose days have all expired deleted and expired
    /// aliases of the others removed. `state` becomes the state after the plan.
    package func plan(_ state: inout State, now: Int64, rolloverBytes: Int64, retentionDays: Int, mappingChanged: Bool) -> Plan {
        var plan = Plan()
        let today = AliasLayout.day(now)
        var target: String
        if let cur = state.current {
            target = cur.name
            // An empty index still has a few hundred bytes of store: "holds documents" is the count.
            let reason = cur.bytes > rolloverBytes ? "size" : (mappingChanged && cur.docs > 0 ? "mapping" : nil)
            if let reason {
                let n = (state.indices.filter { $0.day == today }.map(\.n).max() ?? -1) + 1
                target = indexName(day: today, n: n)
                plan.create = target
                plan.reason = reason
            }
        } else {
            target = indexName(day: today, n: 0)
            plan.create = target
            plan.reason = "first"
        }
        if let created = plan.create, let (day, n) = parseIndex(created) {
            state.indices.append(Index(name: created, day: day, n: n, bytes: 0, aliases: []))
        }
        for day in [today, AliasLayout.day(now + 86400)] {
            plan.aliasActions += point(day, to: target, state: &state)
        }
        if retentionDays > 0 {
            for index in state.indices {
                let days = index.aliases.compactMap(aliasDay)
                let live = days.filter { !expired($0, now: now, retentionDays: retentionDays) }
                if index.name != target, live.isEmpty, !days.isEmpty || expired(index.day, now: now, retentionDays: retentionDays) {
                    plan.deleteIndices.append(index.name)
                } else {
                    for a in index.aliases.sorted() {
                        guard let d = aliasDay(a), expired(d, now: now, retentionDays: retentionDays) else { continue }
                        plan.aliasActions.append(.remove(index: index.name, alias: a))
                    }
                }
            }
            for name in plan.deleteIndices {
                state.indices.removeAll { $0.name == name }
            }
            for (day, _) in state.writeIndex where expired(day, now: now, retentionDays: retentionDays) {
                state.writeIndex[day] = nil
                state.readIndices[day] = nil
            }
            plan.aliasActions.removeAll {
                if case .remove(let i, _) = $0 { return plan.deleteIndices.contains(i) }
                return false
            }
        }
        return plan
    }

    /// The alias actions that give a day with no write alias yet its aliases on the current
    /// index (a document of an older or later day than the run's); none when it has them.
    package func ensureDay(_ day: String, state: inout State) -> [AliasAction] {
        guard state.writeIndex[day] == nil, let cur = state.current else { return [] }
        return point(day, to: cur.name, state: &state)
    }

    /// Whether documents of `day` have passed the retention (the day's midnight at or before
    /// `now - retentionDays` days, as the original's cleanup).
    package func expired(_ day: String, now: Int64, retentionDays: Int) -> Bool {
        guard retentionDays > 0, let m = AliasLayout.midnight(day) else { return false }
        return m <= now - Int64(retentionDays) * 86400
    }

    /// Indices other than the write index that hold (or held) documents of `day`: an updated
    /// document is deleted from them, so the read alias finds it once.
    package func olderIndices(_ day: String, state: State) -> [String] {
        guard let w = state.writeIndex[day], let read = state.readIndices[day] else { return [] }
        return read.subtracting([w]).sorted()
    }

    func point(_ day: String, to target: String, state: inout State) -> [AliasAction] {
        var actions: [AliasAction] = []
        let w = writeAlias(day), r = readAlias(day)
        for i in state.indices.indices {
            let name = state.indices[i].name
            if name != target, state.indices[i].aliases.contains(w) {
                actions.append(.remove(index: name, alias: w))
                state.indices[i].aliases.remove(w)
            }
        }
        if let i = state.indices.firstIndex(where: { $0.name == target }) {
            if !state.indices[i].aliases.contains(w) {
                actions.append(.add(index: target, alias: w))
                state.indices[i].aliases.insert(w)
            }
            if !state.indices[i].aliases.contains(r) {
                actions.append(.add(index: target, alias: r))
                state.indices[i].aliases.insert(r)
            }
        }
        state.writeIndex[day] = target
        state.readIndices[day, default: []].insert(target)
        return actions
    }
}
