import Foundation
import FTACore
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

    init(_ row: Row) throws {
        id = row["id"]
        createTime = row["create_time"]
        endTime = row["end_time"]
        changeSeq = row["change_seq"]
        signal = row["signal"]
        status = row["status"]
        failureType = row["failure_type"]
        realStatus = row["real_status"]
        nextStep = row["next_step"]
        executeTimes = row["execute_times"]
        isParentAction = row["is_parent_action"]
        parentActionId = row["parent_action_id"]
        needPoll = row["need_poll"]
        isPolled = row["is_polled"]
        leaseOwner = row["lease_owner"]
        dueAt = row["due_at"]
        bkBizId = row["bk_biz_id"]
        strategyRelationId = row["strategy_relation_id"]
        alertLevel = row["alert_level"]
        generateUUID = row["generate_uuid"]
        alerts = try Self.strings(row["alerts"], column: "alerts", id: row["id"])
        exData = try JSONParser.parse(row["ex_data"] as String)
        inputs = try JSONParser.parse(row["inputs"] as String)
        outputs = try JSONParser.parse(row["outputs"] as String)
        actionPlugin = try JSONParser.parse(row["action_plugin"] as String)
        actionConfig = try JSONParser.parse(row["action_config"] as String)
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

/// Reads an fta database file from outside fta, as typed rows; it never writes.
package final class TestDatabase {
    package let path: String

    package init(path: String) {
        self.path = path
    }

    /// Every action, by id.
    package func actions() throws -> [ActionRow] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM action_instance ORDER BY id").map(ActionRow.init) }
    }

    /// The action with `id`, or nil when there is none.
    package func action(_ id: Int64) throws -> ActionRow? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM action_instance WHERE id = ?", arguments: [id]).map(ActionRow.init) }
    }

    /// The log of action `actionId`, oldest first, each entry as "step: message".
    package func log(_ actionId: Int64) throws -> [String] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT step, message FROM action_log WHERE action_id = ? ORDER BY id", arguments: [actionId])
                .map { row in "\(row["step"] as String): \(row["message"] as String)" }
        }
    }

    /// How many log entries of all actions have `step`.
    package func logCount(step: String) throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM action_log WHERE step = ?", arguments: [step]) ?? 0 }
    }

    /// Every converge instance, by id.
    package func convergeInstances() throws -> [ConvergeInstanceRow] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, converge_type, end_time FROM converge_instance ORDER BY id").map { row in
                ConvergeInstanceRow(id: row["id"], convergeType: row["converge_type"], endTime: row["end_time"])
            }
        }
    }

    /// Every converge relation, by converge instance then related action.
    package func convergeRelations() throws -> [ConvergeRelationRow] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT converge_id, related_id, converge_status FROM converge_relation ORDER BY converge_id, related_id").map { row in
                ConvergeRelationRow(convergeId: row["converge_id"], relatedId: row["related_id"], convergeStatus: row["converge_status"])
            }
        }
    }

    /// How many duty rules are stored.
    package func dutyRuleCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM duty_rule") ?? 0 }
    }

    /// How many user groups are stored.
    package func userGroupCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM user_group") ?? 0 }
    }

    /// Opens the file, runs `body` in a read transaction and closes it again.
    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read(body)
    }
}
