import Foundation

/// Where a message-queue push goes: `redis://[:password@]host:port/<db>/<list_key>`.
package struct RedisTarget: Sendable, Equatable {
    package var host: String
    package var port: Int
    package var password: String?
    package var db: Int
    package var key: String
    package init(host: String, port: Int, password: String?, db: Int, key: String) {
        self.host = host
        self.port = port
        self.password = password
        self.db = db
        self.key = key
    }

    /// The address without the password, for messages.
    package var safe: String { "redis://\(host):\(port)/\(db)/\(key)" }
}

extension RedisTarget {
    /// Parses `redis://[:password@]host:port/<db>/<list_key>`.
    package static func parse(_ dsn: String) throws -> RedisTarget {
        guard dsn.hasPrefix("redis://") else {
            let scheme = dsn.split(separator: ":").first.map(String.init) ?? dsn
            if scheme == "kafka" {
                throw FieldError("message_queue.dsn", "kafka:// is not supported by this build (no Kafka client library); use redis://")
            }
            throw FieldError("message_queue.dsn", "message queue schema '\(scheme)' is not supported (redis://[:password@]host:port/db/key)")
        }
        var rest = String(dsn.dropFirst("redis://".count))
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let auth = rest[..<at]
            password = auth.hasPrefix(":") ? String(auth.dropFirst()) : String(auth.split(separator: ":", maxSplits: 1).last ?? "")
            rest = String(rest[rest.index(after: at)...])
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[2].isEmpty, let db = Int(parts[1]) else {
            throw FieldError("message_queue.dsn", "expected redis://[:password@]host:port/<db>/<list_key> (db and key are required)")
        }
        let hostPort = parts[0].split(separator: ":").map(String.init)
        guard let host = hostPort.first, !host.isEmpty else { throw FieldError("message_queue.dsn", "missing host") }
        let port = hostPort.count > 1 ? Int(hostPort[1]) : 6379
        guard let port, (1...65535).contains(port) else { throw FieldError("message_queue.dsn", "bad port") }
        return RedisTarget(host: host, port: port, password: password?.removingPercentEncoding ?? password, db: db, key: parts[2])
    }
}
