import FTACore
import GRDB

/// Reading the file table by table for `fta-tick migrate-db`.
extension SQLiteStore: TableSource {
    /// An action is copied whole: its row with its detail (one table on PostgreSQL).
    package func readTable(_ table: String, batch: Int, _ each: ([String], [[CellValue]]) throws -> Void) throws {
        guard copiedTables.contains(table) else { return }
        let source = table == "action_instance" ? Schema.fullView : table
        try database.read { db in
            let columns = try Row.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [source]).map { $0[0] as String }
            guard !columns.isEmpty else { return }
            let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
            let cursor = try Row.fetchCursor(db, sql: "SELECT \(list) FROM \(source)")
            var rows: [[CellValue]] = []
            rows.reserveCapacity(batch)
            while let row = try cursor.next() {
                rows.append(row.databaseValues.map { v in
                    switch v.storage {
                    case .null: return .null
                    case .int64(let i): return .int(i)
                    case .double(let d): return .real(d)
                    case .string(let s): return .text(s)
                    case .blob(let b): return .text(String(decoding: b, as: UTF8.self))
                    }
                })
                if rows.count == batch {
                    try each(columns, rows)
                    rows.removeAll(keepingCapacity: true)
                }
            }
            if !rows.isEmpty { try each(columns, rows) }
        }
    }
}
