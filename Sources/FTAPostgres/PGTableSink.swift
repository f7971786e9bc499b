import FTACore

/// Taking a SQLite file's rows (`fta-tick migrate-db`): one transaction, one array INSERT per
/// batch with each column cast to its PostgreSQL type; afterwards the id sequences continue
/// after the copied ids, and copied changes keep their numbers under transaction id 0, so the
/// export's checkpoint carries over and later changes (real transaction ids) come after them.
extension PostgresStore: TableSink {
    package func loadTables(_ body: (_ load: (String, [String], [[CellValue]]) throws -> Void) throws -> Void) throws {
        try write {
            try db.execute("LOCK TABLE action_instance IN EXCLUSIVE MODE")
            let existing = try db.execute("SELECT (SELECT count(*) FROM action_instance) + (SELECT count(*) FROM duty_rule) + (SELECT count(*) FROM user_group)").scalarInt ?? 0
            guard existing == 0 else {
                throw FTAError.usage("--to \(db.label): the database already holds fta data; migrate into an empty database")
            }
            var types: [String: [String: String]] = [:]
            for row in try db.execute("""
                SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()
                """).rows {
                types[row[0] ?? "", default: [:]][row[1] ?? ""] = row[2] ?? "text"
            }
            try body { table, columns, rows in
                guard copiedTables.contains(table), let tableTypes = types[table] else { return }
                // Columns the file has and this schema knows (an older file may lack some).
                let known = columns.enumerated().filter { tableTypes[$0.element] != nil }
                guard !known.isEmpty, !rows.isEmpty else { return }
                var arrays: [PGArray] = []
                var casts: [String] = []
                for (k, (index, column)) in known.enumerated() {
                    let type = tableTypes[column]!
                    let cast = type == "boolean" ? "boolean" : type == "bigint" ? "bigint" : type == "integer" ? "integer"
                        : type == "double precision" ? "float8" : "text"
                    casts.append("$\(k + 1)::\(cast)[]")
                    arrays.append(PGArray(rows.map { row -> String? in
                        switch row[index] {
                        case .null: return nil
                        case .int(let i): return cast == "boolean" ? (i != 0 ? "true" : "false") : String(i)
                        case .real(let d): return cast == "bigint" || cast == "integer" ? String(Int64(d)) : d.pgText
                        case .text(let s): return s
                        }
                    }))
                }
                let names = known.map { "\"\($0.element)\"" }.joined(separator: ", ")
                let overriding = tableTypes["id"] != nil && known.contains { $0.element == "id" } && table != "duty_rule" ? " OVERRIDING SYSTEM VALUE" : ""
                try db.execute("INSERT INTO \(table) (\(names))\(overriding) SELECT * FROM unnest(\(casts.joined(separator: ", ")))", arrays)
            }
            // Copied changes sort before every change made here (transaction id 0).
            try db.execute("UPDATE action_instance SET change_xid = 0 WHERE change_seq IS NOT NULL AND change_xid IS NULL")
            try db.execute("SELECT setval('action_change_seq', greatest(1, (SELECT coalesce(max(change_seq), 0) FROM action_instance)))")
            for table in ["action_instance", "action_log", "breaker_rule", "duty_rule_snap", "duty_plan", "converge_instance"] {
                try db.execute("""
                    SELECT setval(pg_get_serial_sequence('\(table)', 'id'), greatest(1, (SELECT coalesce(max(id), 0) FROM \(table))))
                    """)
            }
        }
    }
}
