import CLibPQ
import Foundation
import FTACore

/// A value sent as a statement parameter, in PostgreSQL's text form.
package protocol PGBindable {
    var pgText: String { get }
}

extension Int64: PGBindable { package var pgText: String { String(self) } }
extension Int: PGBindable { package var pgText: String { String(self) } }
extension Int32: PGBindable { package var pgText: String { String(self) } }
extension Double: PGBindable {
    // Round-trips exactly (Swift prints the shortest representation that does).
    package var pgText: String { isFinite ? "\(self)" : (self > 0 ? "Infinity" : self < 0 ? "-Infinity" : "NaN") }
}
extension Bool: PGBindable { package var pgText: String { self ? "true" : "false" } }
extension String: PGBindable { package var pgText: String { self } }

/// An array parameter (`$1::bigint[]`, `$2::text[]`): one round trip for a whole batch, read
/// back with `unnest`. Elements are quoted, so any text (quotes, backslashes, braces) survives.
package struct PGArray: PGBindable {
    let elements: [String?]

    package init<T: PGBindable>(_ values: [T]) { elements = values.map(\.pgText) }
    package init<T: PGBindable>(_ values: [T?]) { elements = values.map { $0?.pgText } }

    package var pgText: String {
        // Built as bytes: quoting scalar by scalar into a String cost more than the insert itself.
        var out: [UInt8] = []
        out.reserveCapacity(elements.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        out.append(UInt8(ascii: "{"))
        for (i, e) in elements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            guard let e else { out.append(contentsOf: "NULL".utf8); continue }
            out.append(UInt8(ascii: "\""))
            var text = e
            text.withUTF8 { bytes in
                var start = 0
                for (k, b) in bytes.enumerated() where b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                    out.append(contentsOf: bytes[start..<k])
                    out.append(UInt8(ascii: "\\"))
                    start = k
                }
                out.append(contentsOf: bytes[start...])
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// A failed statement: its SQLSTATE and message (no statement text, no parameters).
package struct PGError: Error, CustomStringConvertible {
    package let sqlState: String
    package let message: String

    package var description: String { message }

    /// Another transaction got in the way; running the transaction again can succeed.
    package var isRetryable: Bool { ["40001", "40P01"].contains(sqlState) }
    package var isUniqueViolation: Bool { sqlState == "23505" }
    /// The server or the connection went away (class 08, admin shutdown, crash).
    package var isConnectionLoss: Bool { sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState) }
}

/// The rows a statement returned, as text (NULL as nil), and how many rows it changed.
package struct PGResult {
    package let columns: [String]
    /// Column type OIDs (16 bool, 20 int8, 23 int4, 25 text, 701 float8, ...).
    package var types: [UInt32] = []
    package let rows: [[String?]]
    package let affected: Int

    package var isEmpty: Bool { rows.isEmpty }
    package var count: Int { rows.count }

    package func string(_ row: Int, _ column: Int) -> String? { rows[row][column] }
    package func int(_ row: Int, _ column: Int) -> Int64? { rows[row][column].flatMap { Int64($0) } }
    package func double(_ row: Int, _ column: Int) -> Double? { rows[row][column].flatMap { Double($0) } }
    package func bool(_ row: Int, _ column: Int) -> Bool? { rows[row][column].map { $0 == "t" || $0 == "true" } }

    /// The first column of the first row.
    package var scalarInt: Int64? { rows.first.flatMap { $0.first ?? nil }.flatMap { Int64($0) } }
    package var scalarDouble: Double? { rows.first.flatMap { $0.first ?? nil }.flatMap { Double($0) } }
    package var scalarString: String? { rows.first.flatMap { $0.first ?? nil } }
}

/// One libpq connection, used by one thread at a time. Statements are sent with
/// `PQexecParams` (parameters as text, never spliced into SQL). Errors carry the SQLSTATE; a
/// lost connection is reported as an environment error naming the server without its password.
package final class PGConnection: @unchecked Sendable {
    private var conn: OpaquePointer?
    private let conninfo: String
    /// The server as users may see it: `postgres://user@host:port/db`, no password.
    package let label: String
    private let settings: [String]
    private let lock = NSRecursiveLock()

    /// Connects with a `postgres://` or `postgresql://` URI (every libpq parameter works:
    /// `sslmode`, several hosts with `target_session_attrs`, a password from `PGPASSWORD` or
    /// `~/.pgpass`). `settings` are SET statements run on every (re)connection.
    package init(conninfo: String, settings: [String] = []) throws {
        self.conninfo = conninfo
        label = PGConnection.safeLabel(conninfo)
        self.settings = settings
        try connect()
    }

    deinit { if let conn { PQfinish(conn) } }

    /// `postgres://user@host/db`: the URI with any password and secret parameters removed.
    package static func safeLabel(_ conninfo: String) -> String {
        guard var c = URLComponents(string: conninfo) else { return "postgres://(unparsable address)" }
        c.password = nil
        c.queryItems = c.queryItems?.filter { !["password", "sslpassword", "passfile"].contains($0.name.lowercased()) }
        if c.queryItems?.isEmpty == true { c.queryItems = nil }
        return c.string.map(Redactor.maskText) ?? "postgres://(unparsable address)"
    }

    private func connect() throws {
        if let conn { PQfinish(conn); self.conn = nil }
        guard let c = PQconnectdb(conninfo) else { throw FTAError.environment("database \(label): out of memory") }
        guard PQstatus(c) == CONNECTION_OK else {
            let why = PGConnection.clean(String(cString: PQerrorMessage(c)))
            PQfinish(c)
            throw FTAError.environment("database \(label): cannot connect: \(why)")
        }
        conn = c
        for s in settings { _ = try run(s, []) }
    }

    /// libpq's message on one line, without anything that looks like a secret.
    static func clean(_ message: String) -> String {
        let oneLine = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
        return Redactor.maskText(oneLine)
    }

    /// Runs one statement. A statement outside a transaction that finds the connection gone
    /// reconnects once and runs again; inside one, the loss is reported.
    @discardableResult
    package func execute(_ sql: String, _ params: [(any PGBindable)?] = []) throws -> PGResult {
        lock.lock(); defer { lock.unlock() }
        do {
            return try run(sql, params)
        } catch let e as PGError where e.isConnectionLoss && depth == 0 {
            try connect()
            return try run(sql, params)
        }
    }

    private var depth = 0
    private var listening: Set<String> = []
    private var notified: Int64 = 0

    /// How many notifications on `channel` this session has received: it starts listening on
    /// the first call, and each call reads what has arrived since (without waiting).
    package func notifications(channel: String) throws -> Int64 {
        lock.lock(); defer { lock.unlock() }
        if !listening.contains(channel) {
            _ = try run("LISTEN \(channel)", [])
            listening.insert(channel)
        }
        guard let conn else { return notified }
        if PQconsumeInput(conn) == 0 {
            // The connection broke: listen again on a new one, and count that as a change.
            try connect()
            for c in listening { _ = try run("LISTEN \(c)", []) }
            notified += 1
            return notified
        }
        // This session's own writes are not news to it (as with SQLite's data_version).
        let own = PQbackendPID(conn)
        while let n = PQnotifies(conn) {
            if n.pointee.be_pid != own { notified += 1 }
            PQfreemem(n)
        }
        return notified
    }

    /// Runs several statements separated by semicolons, without parameters (schema scripts).
    package func executeScript(_ sql: String) throws {
        lock.lock(); defer { lock.unlock() }
        guard let conn else { throw FTAError.environment("database \(label): not connected") }
        guard let result = PQexec(conn, sql) else {
            throw PGError(sqlState: "08006", message: "database \(label): \(PGConnection.clean(String(cString: PQerrorMessage(conn))))")
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            throw PGError(sqlState: state, message: "database \(label): \(PGConnection.clean(String(cString: PQerrorMessage(conn))))")
        }
    }

    private func run(_ sql: String, _ params: [(any PGBindable)?]) throws -> PGResult {
        guard let conn else { throw FTAError.environment("database \(label): not connected") }
        let texts = params.map { $0?.pgText }
        let result: OpaquePointer? = withCStrings(texts) { values in
            PQexecParams(conn, sql, Int32(texts.count), nil, values, nil, nil, 0)
        }
        guard let result else {
            throw PGError(sqlState: "08006", message: "database \(label): \(PGConnection.clean(String(cString: PQerrorMessage(conn))))")
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            let nrows = Int(PQntuples(result)), ncols = Int(PQnfields(result))
            var columns: [String] = [], types: [UInt32] = []
            columns.reserveCapacity(ncols)
            for c in 0..<ncols {
                columns.append(String(cString: PQfname(result, Int32(c))))
                types.append(UInt32(PQftype(result, Int32(c))))
            }
            var rows: [[String?]] = []
            rows.reserveCapacity(nrows)
            for r in 0..<nrows {
                var row: [String?] = []
                row.reserveCapacity(ncols)
                for c in 0..<ncols {
                    if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                        row.append(nil)
                    } else {
                        let len = Int(PQgetlength(result, Int32(r), Int32(c)))
                        let ptr = PQgetvalue(result, Int32(r), Int32(c))!
                        row.append(ptr.withMemoryRebound(to: UInt8.self, capacity: len) { String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self) })
                    }
                }
                rows.append(row)
            }
            let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
            return PGResult(columns: columns, types: types, rows: rows, affected: affected)
        default:
            throw failure(result, conn)
        }
    }

    /// Sends `data` (COPY's text format: tab-separated columns, one row per line) to a
    /// `COPY … FROM STDIN` statement; returns the number of rows stored.
    @discardableResult
    package func copyIn(_ sql: String, data: [UInt8]) throws -> Int {
        lock.lock(); defer { lock.unlock() }
        guard let conn else { throw FTAError.environment("database \(label): not connected") }
        guard let start = PQexec(conn, sql) else {
            throw PGError(sqlState: "08006", message: "database \(label): \(PGConnection.clean(String(cString: PQerrorMessage(conn))))")
        }
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            defer { PQclear(start) }
            throw failure(start, conn)
        }
        PQclear(start)
        var sent = true
        data.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count, sent {
                let n = min(1 << 20, buffer.count - offset)
                sent = buffer.baseAddress!.advanced(by: offset).withMemoryRebound(to: CChar.self, capacity: n) { PQputCopyData(conn, $0, Int32(n)) } == 1
                offset += n
            }
        }
        _ = PQputCopyEnd(conn, sent ? nil : "the client could not send the rows")
        var error: PGError?
        var rows = 0
        // Every result must be read before the connection takes another statement.
        while let result = PQgetResult(conn) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                rows = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if error == nil {
                error = failure(result, conn)
            }
            PQclear(result)
        }
        if let error { throw error }
        return rows
    }

    /// The error a failed result carries, with its SQLSTATE.
    private func failure(_ result: OpaquePointer, _ conn: OpaquePointer) -> PGError {
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            ?? String(cString: PQerrorMessage(conn))
        if PQstatus(conn) != CONNECTION_OK {
            return PGError(sqlState: state.isEmpty ? "08006" : state, message: "database \(label): connection lost: \(PGConnection.clean(primary))")
        }
        return PGError(sqlState: state, message: "database \(label): \(PGConnection.clean(primary))")
    }

    /// Runs `body` in one transaction (READ COMMITTED), committing when it returns and rolling
    /// back when it throws. A serialization failure or a deadlock runs the whole body again
    /// (at most 5 times): `body` must only touch the database.
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        lock.lock(); defer { lock.unlock() }
        var attempt = 0
        while true {
            attempt += 1
            do {
                if depth == 0 {
                    do { _ = try run("BEGIN", []) } catch let e as PGError where e.isConnectionLoss {
                        try connect()
                        _ = try run("BEGIN", [])
                    }
                }
                depth += 1
                let value: T
                do {
                    value = try body()
                } catch {
                    depth -= 1
                    throw error
                }
                depth -= 1
                if depth == 0 { _ = try run("COMMIT", []) }
                return value
            } catch let e as PGError where e.isRetryable && depth == 0 && attempt < 5 {
                _ = try? run("ROLLBACK", [])
                usleep(UInt32.random(in: 1_000...(10_000 * UInt32(attempt))))
                continue
            } catch {
                if depth == 0 { _ = try? run("ROLLBACK", []) }
                throw error
            }
        }
    }
}

/// Calls `body` with C strings for `values` (NULL for nil), valid only during the call.
private func withCStrings<R>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } ?? nil }
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeMutableBufferPointer { buffer in
        body(buffer.map { $0.map { UnsafePointer($0) } })
    }
}
