import Foundation
import FTACore

extension ElasticsearchSettings {
    /// The `elasticsearch:` section.
    init(_ value: JSONValue, reader: ConfigReader) throws {
        self.init()
        let o = try reader.object(value, allowed: ["url", "username", "password", "api_key", "prefix", "batch_size", "batch_bytes", "timeout",
                                                   "verify_tls", "max_retries", "gzip", "shards", "replicas", "target", "index_pattern",
                                                   "layout", "rollover_size", "retention_days"])
        switch o["url"] {
        case .array(let list)?: urls = try list.map { try reader.string($0, "url") }
        case let v?: urls = [try reader.string(v, "url")]
        case nil: break
        }
        for u in urls where !(u.hasPrefix("http://") || u.hasPrefix("https://")) {
            throw reader.fail("url", "'\(Redactor.safeURL(u))' must start with http:// or https://")
        }
        for u in urls { if let why = WireCheck.url(u) { throw reader.fail("url", "'\(Redactor.safeURL(u))' \(why)") } }
        urls = urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        if let v = o["username"] { username = try reader.string(v, "username") }
        if let v = o["password"] { password = try reader.string(v, "password") }
        if let v = o["api_key"] {
            apiKey = try reader.string(v, "api_key")
            if let why = WireCheck.headerValue(apiKey ?? "") { throw reader.fail("api_key", why) }
        }
        if let v = o["prefix"] {
            prefix = try reader.string(v, "prefix")
            guard !prefix.isEmpty, prefix == prefix.lowercased(), !prefix.contains(where: { " ,/*?\"<>|\\#:".contains($0) }) else {
                throw reader.fail("prefix", "an index name prefix is lower-case, without spaces or , / * ? \" < > | \\ # :")
            }
        }
        if let v = o["batch_size"] { batchSize = Int(try reader.number(v, "batch_size", min: 1, max: 100_000)) }
        if let v = o["batch_bytes"] { batchBytes = Int(try reader.number(v, "batch_bytes", min: 1024, max: 1_073_741_824)) }
        if let v = o["timeout"] { timeout = try reader.number(v, "timeout", min: 0.1, max: 3600) }
        if let v = o["verify_tls"] { verifyTLS = try reader.bool(v, "verify_tls") }
        if let v = o["max_retries"] { maxRetries = Int(try reader.number(v, "max_retries", min: 0, max: 100)) }
        if let v = o["gzip"] { gzip = try reader.bool(v, "gzip") }
        if let v = o["shards"] { shards = Int(try reader.number(v, "shards", min: 1, max: 1000)) }
        if let v = o["replicas"] { replicas = Int(try reader.number(v, "replicas", min: 0, max: 100)) }
        if let v = o["target"] { target = try reader.string(v, "target") }
        if let v = o["index_pattern"] {
            indexPattern = try reader.string(v, "index_pattern")
            guard indexPattern.contains("{YYYY}") || indexPattern.contains("{MM}") || indexPattern.contains("{DD}") || indexPattern.contains("{prefix}") else {
                throw reader.fail("index_pattern", "expected a name with {prefix} and date parts {YYYY} {MM} {DD}, e.g. {prefix}_{YYYY}{MM}{DD}")
            }
            let probe = indexPattern.replacingOccurrences(of: "{prefix}", with: prefix).replacingOccurrences(of: "{YYYY}", with: "2026")
                .replacingOccurrences(of: "{MM}", with: "11").replacingOccurrences(of: "{DD}", with: "23")
            guard probe == probe.lowercased(), !probe.contains(where: { " ,/*?\"<>|\\#:{}".contains($0) }) else {
                throw reader.fail("index_pattern", "'\(indexPattern)' does not make a valid index name")
            }
        }
        // A configured index pattern means the plain layout; with the original's aliases the
        // names are fixed.
        if let v = o["layout"] {
            layout = Layout(rawValue: try reader.choice(v, "layout", ["aliases", "index"]))!
            if layout == .aliases, o["index_pattern"] != nil {
                throw reader.fail("index_pattern", "only for layout: index (the aliases layout names its indices <prefix>_YYYYMMDD_<n>)")
            }
        } else if o["index_pattern"] != nil {
            layout = .index
        }
        if let v = o["rollover_size"] { rolloverBytes = try Self.size(v, reader: reader, key: "rollover_size") }
        if let v = o["retention_days"] { retentionDays = Int(try reader.number(v, "retention_days", min: 0, max: 36_500)) }
    }

    /// A size: bytes as a number, or a number with kb, mb, gb or tb (powers of 1024), 1 KB to 100 TB.
    static func size(_ v: JSONValue, reader: ConfigReader, key: String) throws -> Int64 {
        let limits: ClosedRange<Double> = 1024...(100 * 1_099_511_627_776)
        if case .string(let text) = v {
            let t = text.trimmingCharacters(in: .whitespaces).lowercased()
            let units: [(String, Double)] = [("tb", 1_099_511_627_776), ("gb", 1_073_741_824), ("mb", 1_048_576), ("kb", 1024), ("b", 1)]
            for (suffix, factor) in units where t.hasSuffix(suffix) {
                let number = t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
                guard let n = Double(number), n.isFinite, limits.contains(n * factor) else { break }
                return Int64(n * factor)
            }
            throw reader.fail(key, "'\(text)' is not a size from 1kb to 100tb (a number of bytes, or with kb, mb, gb, tb)")
        }
        return Int64(try reader.number(v, key, min: limits.lowerBound, max: limits.upperBound))
    }
}
