/// One value of a copied row (`fta-tick migrate-db`): what SQLite stores, which PostgreSQL's
/// column types then take (integers become booleans or doubles where the column says so).
package enum CellValue: Sendable, Equatable {
    case null
    case int(Int64)
    case real(Double)
    case text(String)
}

/// The tables `fta-tick migrate-db` copies, parents before what refers to them. Running passes
/// (`tick_worker`) are not copied.
package let copiedTables = [
    "action_instance", "action_log", "alert_cycle", "notice_dedupe", "notice_quota", "notice_digest", "notice_user", "user_group",
    "breaker_rule", "sync_checkpoint", "sync_dead_letter", "duty_rule", "duty_rule_snap", "duty_plan",
    "converge_instance", "converge_relation", "converge_dimension",
]

/// A store whose rows can be read out table by table, in batches (the SQLite file).
package protocol TableSource {
    /// Calls `each` with batches of at most `batch` rows of `table`: its column names and rows.
    func readTable(_ table: String, batch: Int, _ each: ([String], [[CellValue]]) throws -> Void) throws
}

/// A store that takes copied rows (PostgreSQL): all of them in one transaction, refused when
/// it already holds actions.
package protocol TableSink {
    /// Runs `body` in one transaction after checking the store is empty; `load` inside it.
    func loadTables(_ body: (_ load: (String, [String], [[CellValue]]) throws -> Void) throws -> Void) throws
}
