import Foundation
import FTACore
import FTAPostgres
import GRDB

/// One `action_instance` row, with its JSON columns parsed.
package struct ActionRow: Sendable {
    package var id: Int64
    package var createTime: Int64
    package var endTime: Int64?
    package var changeSeq: Int64?
    package var signal: String
    package var status: String
    package var failureType: String?
    package var realStatus: String
    package var nextStep: String
    package var executeTimes: Int64
    package var isParentAction: Bool
    package var parentActionId: Int64
    package var needPoll: Bool
    package var isPolled: Bool
    package var leaseOwner: String?
    package var dueAt: Int64?
    package var bkBizId: String
    package var strategyRelationId: Int64
    package var alertLevel: Int64
    package var generateUUID: String
    package var alerts: [String]
    package var exData: JSONValue
    package var inputs: JSONValue
    package var outputs: JSONValue
    package var actionPlugin: JSONValue
    package var actionConfig: JSONValue

    /// The `plugin_type` of `action_plugin`.
    package var pluginType: String? { actionPlugin["plugin_type"]?.stringValue }

    /// The id fta-sync gives the row's document: creation time then row id.
    package var esId: String { "\(createTime)\(id)" }

    init(_ row: TestRow) throws {
        id = try row.int("id")
        createTime = try row.int("create_time")
        endTime = try row.optionalInt("end_time")
        changeSeq = try row.optionalInt("change_seq")
        signal = try row.text("signal")
        status = try row.text("status")
        failureType = try row.optionalText("failure_type")
        realStatus = try row.text("real_status")
        nextStep = try row.text("next_step")
        executeTimes = try row.int("execute_times")
        isParentAction = try row.bool("is_parent_action")
        parentActionId = try row.int("parent_action_id")
        needPoll = try row.bool("need_poll")
        isPolled = try row.bool("is_polled")
        leaseOwner = try row.optionalText("lease_owner")
        dueAt = try row.optionalInt("due_at")
        bkBizId = try row.text("bk_biz_id")
        strategyRelationId = try row.int("strategy_relation_id")
        alertLevel = try row.int("alert_level")
        generateUUID = try row.text("generate_uuid")
        alerts = try Self.strings(try row.text("alerts"), column: "alerts", id: id)
        exData = try JSONParser.parse(try row.text("ex_data"))
        inputs = try JSONParser.parse(try row.text("inputs"))
        outputs = try JSONParser.parse(try row.text("outputs"))
        actionPlugin = try JSONParser.parse(try row.text("action_plugin"))
        actionConfig = try JSONParser.parse(try row.text("action_config"))
    }

    /// A JSON array of strings, or an error naming the row and column.
    static func strings(_ text: String, column: String, id: Int64) throws -> [String] {
        guard let items = try JSONParser.parse(text).arrayValue else {
            throw TestDatabaseError(description: "action \(id): \(column) is not a JSON array: \(text)")
        }
        return try items.map { item in
            guard let string = item.stringValue else {
                throw TestDatabaseError(description: "action \(id): \(column) holds a value that is not a string: \(text)")
            }
            return string
        }
    }
}

/// One `converge_instance` row.
package struct ConvergeInstanceRow: Sendable, Equatable {
    package var id: Int64
    package var convergeType: String
    package var endTime: Int64?
}

/// One `converge_relation` row.
package struct ConvergeRelationRow: Sendable, Equatable {
    package var convergeId: Int64
    package var relatedId: Int64
    package var convergeStatus: String
}

/// A row the test database could not read as its type.
struct TestDatabaseError: Error, CustomStringConvertible {
    var description: String
}

/// One row read by `TestDatabase`, the same for both backends: SQLite's typed values, or
/// PostgreSQL's text (booleans as `t`/`f`, `double precision` due times read as whole seconds,
/// rounded toward zero as GRDB reads a REAL into an integer).
struct TestRow {
    private enum Storage {
        case sqlite(Row)
        case postgres(columns: [String: Int], values: [String?])
    }
    private let storage: Storage

    init(_ row: Row) { storage = .sqlite(row) }
    init(columns: [String: Int], values: [String?]) { storage = .postgres(columns: columns, values: values) }

    /// The PostgreSQL text of `column`, or an error when the row has no such column.
    private func pgText(_ column: String, _ columns: [String: Int], _ values: [String?]) throws -> String? {
        guard let i = columns[column] else { throw TestDatabaseError(description: "no column \(column) in the row") }
        return values[i]
    }

    func optionalInt(_ column: String) throws -> Int64? {
        switch storage {
        case .sqlite(let row): return row[column]
        case .postgres(let columns, let values):
            guard let text = try pgText(column, columns, values) else { return nil }
            if let i = Int64(text) { return i }
            guard let d = Double(text), d >= Double(Int64.min), d < Double(Int64.max) else {
                throw TestDatabaseError(description: "column \(column): '\(text)' is not a number")
            }
            return Int64(d)
        }
    }

    func int(_ column: String) throws -> Int64 {
        guard let value = try optionalInt(column) else { throw TestDatabaseError(description: "column \(column) is NULL") }
        return value
    }

    func optionalText(_ column: String) throws -> String? {
        switch storage {
        case .sqlite(let row): return row[column]
        case .postgres(let columns, let values): return try pgText(column, columns, values)
        }
    }

    func text(_ column: String) throws -> String {
        guard let value = try optionalText(column) else { throw TestDatabaseError(description: "column \(column) is NULL") }
        return value
    }

    func bool(_ column: String) throws -> Bool {
        switch storage {
        case .sqlite(let row): return row[column]
        case .postgres(let columns, let values):
            switch try pgText(column, columns, values) {
            case "t", "true": return true
            case "f", "false": return false
            case let other: throw TestDatabaseError(description: "column \(column): \(other ?? "NULL") is not a boolean")
            }
        }
    }
}

/// Reads an fta database from outside fta, as typed rows; it never writes. `path` is a SQLite
/// file, or a `postgres://` URL (then the same queries run over libpq).
package final class TestDatabase {
    package let path: String

    package init(path: String) {
        self.path = path
    }

    /// Every action, by id.
    package func actions() throws -> [ActionRow] {
        try rows("SELECT * FROM \(actionTable) ORDER BY id").map(ActionRow.init)
    }

    /// The action with `id`, or nil when there is none.
    package func action(_ id: Int64) throws -> ActionRow? {
        try rows("SELECT * FROM \(actionTable) WHERE id = ?", [id]).first.map(ActionRow.init)
    }

    /// Where an action is read whole: one table on PostgreSQL, the row joined with its detail
    /// on SQLite (docs/schema.md, `action_detail`).
    var actionTable: String {
        TestBackend.isPostgres(path) ? "action_instance" : "action_full"
    }

    /// The log of action `actionId`, oldest first, each entry as "step: message".
    package func log(_ actionId: Int64) throws -> [String] {
        try rows("SELECT step, message FROM action_log WHERE action_id = ? ORDER BY id", [actionId])
            .map { row in "\(try row.text("step")): \(try row.text("message"))" }
    }

    /// How many log entries of all actions have `step`.
    package func logCount(step: String) throws -> Int {
        try count("SELECT count(*) AS n FROM action_log WHERE step = ?", [step])
    }

    /// Every converge instance, by id.
    package func convergeInstances() throws -> [ConvergeInstanceRow] {
        try rows("SELECT id, converge_type, end_time FROM converge_instance ORDER BY id").map { row in
            ConvergeInstanceRow(id: try row.int("id"), convergeType: try row.text("converge_type"), endTime: try row.optionalInt("end_time"))
        }
    }

    /// Every converge relation, by converge instance then related action.
    package func convergeRelations() throws -> [ConvergeRelationRow] {
        try rows("SELECT converge_id, related_id, converge_status FROM converge_relation ORDER BY converge_id, related_id").map { row in
            ConvergeRelationRow(convergeId: try row.int("converge_id"), relatedId: try row.int("related_id"),
                                convergeStatus: try row.text("converge_status"))
        }
    }

    /// How many duty rules are stored.
    package func dutyRuleCount() throws -> Int {
        try count("SELECT count(*) AS n FROM duty_rule")
    }

    /// How many user groups are stored.
    package func userGroupCount() throws -> Int {
        try count("SELECT count(*) AS n FROM user_group")
    }

    /// The single `n` of a counting query.
    private func count(_ sql: String, _ arguments: [DatabaseValueConvertible?] = []) throws -> Int {
        guard let row = try rows(sql, arguments).first else { return 0 }
        return Int(try row.int("n"))
    }

    /// Runs one query, written for SQLite (`?` placeholders), on either backend: on a SQLite
    /// file in a read transaction of a connection opened for it; on PostgreSQL over a
    /// connection of its own, with the placeholders numbered.
    private func rows(_ sql: String, _ arguments: [DatabaseValueConvertible?] = []) throws -> [TestRow] {
        if TestBackend.isPostgres(path) {
            let c = try TestBackend.connect(path)
            let result = try c.execute(TestBackend.postgresPlaceholders(sql), try TestBackend.postgresParameters(arguments))
            let columns = Dictionary(result.columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            return result.rows.map { TestRow(columns: columns, values: $0) }
        }
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(TestRow.init) }
    }
}
