import FTACore
import GRDB

/// Schema migrations, tracked in `PRAGMA user_version`. Each step runs once, inside an
/// IMMEDIATE transaction that re-checks the version, so processes that open a new database
/// at the same moment cannot both apply a step.
enum Schema {
    static let migrations: [(Database) throws -> Void] = [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15]

    static func migrate(_ db: Database, path: String) throws {
        let current = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        if current == migrations.count { return }
        if current > migrations.count {
            throw FTAError.environment("database \(path): schema version \(current) is newer than this fta (\(migrations.count)); upgrade fta")
        }
        try db.inTransaction(.immediate) {
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            if version < migrations.count {
                for step in migrations[version...] { try step(db) }
                try db.execute(sql: "PRAGMA user_version = \(migrations.count)")
            }
            return .commit
        }
    }

    /// Action queue and history: the original's `action_instance` columns, our scheduling
    /// columns, and `action_log`.
    static func v1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE action_instance (
                -- Row ids are not AUTOINCREMENT (that rewrites sqlite_sequence on every insert);
                -- the package id `<create_ts><id>` is unique either way.
                id INTEGER PRIMARY KEY,
                signal TEXT NOT NULL,
                strategy_id INTEGER NOT NULL DEFAULT 0,
                strategy TEXT NOT NULL DEFAULT '{}',
                strategy_relation_id INTEGER NOT NULL DEFAULT 0,
                dimensions TEXT NOT NULL DEFAULT '[]',
                dimension_hash TEXT NOT NULL DEFAULT '',
                alerts TEXT NOT NULL DEFAULT '[]',
                alert_level INTEGER NOT NULL DEFAULT 3,
                status TEXT NOT NULL DEFAULT 'received',
                failure_type TEXT,
                ex_data TEXT NOT NULL DEFAULT '{}',
                create_time INTEGER NOT NULL,
                end_time INTEGER,
                update_time INTEGER NOT NULL,
                action_plugin TEXT NOT NULL DEFAULT '{}',
                action_config TEXT NOT NULL DEFAULT '{}',
                action_config_id INTEGER NOT NULL DEFAULT 0,
                bk_biz_id TEXT NOT NULL DEFAULT '',
                is_parent_action INTEGER NOT NULL DEFAULT 0,
                parent_action_id INTEGER NOT NULL DEFAULT 0,
                sub_actions TEXT NOT NULL DEFAULT '[]',
                assignee TEXT NOT NULL DEFAULT '[]',
                inputs TEXT NOT NULL DEFAULT '{}',
                outputs TEXT NOT NULL DEFAULT '{}',
                real_status TEXT NOT NULL DEFAULT '',
                is_polled INTEGER NOT NULL DEFAULT 0,
                need_poll INTEGER NOT NULL DEFAULT 0,
                execute_times INTEGER NOT NULL DEFAULT 0,
                generate_uuid TEXT NOT NULL DEFAULT '',
                is_enabled INTEGER NOT NULL DEFAULT 1,
                is_deleted INTEGER NOT NULL DEFAULT 0,
                create_user TEXT NOT NULL DEFAULT '',
                update_user TEXT NOT NULL DEFAULT '',
                -- fta: the alert snapshot templates render against
                alert TEXT NOT NULL DEFAULT '{}',
                -- fta: scheduling
                dedupe_key TEXT,
                due_at INTEGER,
                next_step TEXT NOT NULL DEFAULT 'execute',
                lease_owner TEXT,
                lease_expires_at INTEGER,
                lease_token INTEGER NOT NULL DEFAULT 0,
                deadline_at INTEGER
            );
            -- Only live rows are indexed: finished rows have due_at NULL, so an idle pass costs
            -- the same on a million finished rows. The deadline rides along in the same index,
            -- so the timeout sweep reads index entries of live rows only, and every write
            -- maintains one index instead of two.
            CREATE INDEX action_instance_due ON action_instance(due_at, deadline_at) WHERE due_at IS NOT NULL;
            CREATE UNIQUE INDEX action_instance_dedupe ON action_instance(dedupe_key) WHERE dedupe_key IS NOT NULL;
            CREATE TABLE action_log (
                id INTEGER PRIMARY KEY,
                time INTEGER NOT NULL,
                action_id INTEGER NOT NULL,
                step TEXT NOT NULL DEFAULT '',
                level INTEGER NOT NULL DEFAULT 20,
                message TEXT NOT NULL
            );
            CREATE INDEX action_log_action ON action_log(action_id);
            """)
    }

    /// Notice children by parent, for aggregating a parent's status.
    static func v2(_ db: Database) throws {
        try db.execute(sql: "CREATE INDEX action_instance_parent ON action_instance(parent_action_id) WHERE parent_action_id > 0")
    }

    /// Send de-duplication (voice: one call per receiver list per window), with expiry.
    static func v3(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE notice_dedupe (
                key TEXT PRIMARY KEY,
                action_id INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            )
            """)
    }

    /// Interval repeats: one row per alert and relation that repeats while the alert is
    /// abnormal (the original's `cycle_handle_record`). `next_at` NULL = stopped (the alert
    /// recovered or closed); the stopped row stays so a late event cannot restart it.
    static func v4(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE alert_cycle (
                alert_id TEXT NOT NULL,
                relation_id INTEGER NOT NULL,
                config_id INTEGER NOT NULL,
                signal TEXT NOT NULL,
                action_id INTEGER NOT NULL,
                execute_times INTEGER NOT NULL,
                last_time INTEGER NOT NULL,
                next_at INTEGER,
                PRIMARY KEY (alert_id, relation_id, config_id)
            ) WITHOUT ROWID;
            CREATE INDEX alert_cycle_next ON alert_cycle(next_at) WHERE next_at IS NOT NULL;
            """)
    }

    /// Per-recipient caps: sends counted per way and receiver in a window, and the digest of
    /// what was held back once the cap was reached, sent when the window ends.
    static func v5(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE notice_quota (
                key TEXT PRIMARY KEY,
                count INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE notice_digest (
                way TEXT NOT NULL,
                receiver TEXT NOT NULL,
                due_at INTEGER NOT NULL,
                count INTEGER NOT NULL,
                titles TEXT NOT NULL,
                alerts TEXT NOT NULL,
                bk_biz_id TEXT NOT NULL DEFAULT '',
                PRIMARY KEY (way, receiver)
            ) WITHOUT ROWID;
            CREATE INDEX notice_digest_due ON notice_digest(due_at);
            """)
    }

    /// Users and user groups kept in the database (`fta-tick groups import`), next to the
    /// config file's. JSON columns hold JSON text.
    static func v6(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE notice_user (
                id TEXT PRIMARY KEY,
                addresses TEXT NOT NULL DEFAULT '{}',
                update_time INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE user_group (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL DEFAULT '',
                users TEXT NOT NULL DEFAULT '[]',
                followers TEXT NOT NULL DEFAULT '[]',
                notice_ways TEXT NOT NULL DEFAULT '{}',
                chat_ids TEXT NOT NULL DEFAULT '[]',
                duty_rules TEXT NOT NULL DEFAULT '[]',
                update_time INTEGER NOT NULL
            ) WITHOUT ROWID;
            """)
    }

    /// Circuit-breaker rules (kept until removed or expired, unlike the original's 24-hour
    /// cache), and the rows they hold, for `fta-replay`.
    static func v7(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE breaker_rule (
                id INTEGER PRIMARY KEY,
                module TEXT NOT NULL DEFAULT 'action',
                key TEXT NOT NULL,
                method TEXT NOT NULL,
                value TEXT NOT NULL,
                condition TEXT NOT NULL DEFAULT 'and',
                description TEXT NOT NULL DEFAULT '',
                creator TEXT NOT NULL DEFAULT '',
                create_time INTEGER NOT NULL,
                expires_at INTEGER,
                held INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX action_instance_held ON action_instance(id) WHERE failure_type = 'blocked';
            """)
    }

    /// Change tracking for the Elasticsearch export. Every update of an exported column gives
    /// the row the next `change_seq`, inside the writing transaction: the pass's own outcome
    /// writes set it in the same statement (``ActionStore/record``), and until v13 a trigger
    /// numbered every other write; since v13 every writer sets ``nextChange`` itself. SQLite runs
    /// one writer at a time and the number is taken inside it, so sequence order is commit order:
    /// a reader never sees a gap that fills in later.
    /// New rows are `received`, which is not exported, so inserts need no number (enqueue pays
    /// nothing). Checkpoints per target and a dead-letter table for refused documents.
    /// The latest change number, from the partial index (a plain `max()` would scan the table
    /// on every update).
    static let latestChangeSQL = "SELECT change_seq FROM action_instance WHERE change_seq IS NOT NULL ORDER BY change_seq DESC LIMIT 1"

    /// The assignment every single-row UPDATE of an exported column carries (since v13, in
    /// place of the trigger). Only for statements that change one row: the sub-select is
    /// evaluated once per statement, so rows of one statement would share a number.
    package static let nextChange = "change_seq = \(nextChangeValue)"
    /// The number the next change takes (the record reads it once for a batch it numbers itself).
    static let nextChangeValue = "coalesce((\(latestChangeSQL)), 0) + 1"

    /// The action row's exported columns that change after creation: an UPDATE that changes one
    /// of them must set ``nextChange``. (`inputs` and `alerts`, in `action_detail` since v15,
    /// change only with convergence, which numbers the change on the action row first.)
    static let exportedColumns = ["status", "failure_type", "ex_data", "outputs", "end_time", "real_status",
                                  "execute_times", "need_poll", "is_polled", "assignee"]

    static func v8(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE action_instance ADD COLUMN change_seq INTEGER;
            CREATE INDEX action_instance_change ON action_instance(change_seq) WHERE change_seq IS NOT NULL;
            CREATE TRIGGER action_instance_change AFTER UPDATE OF status, failure_type, ex_data, outputs, end_time, inputs,
                real_status, execute_times, need_poll, is_polled, assignee ON action_instance
                WHEN NEW.change_seq IS OLD.change_seq
            BEGIN
                UPDATE action_instance SET change_seq = coalesce((\(latestChangeSQL)), 0) + 1 WHERE id = NEW.id;
            END;
            CREATE TABLE sync_checkpoint (
                target TEXT PRIMARY KEY,
                change_seq INTEGER NOT NULL DEFAULT 0,
                update_time INTEGER NOT NULL,
                exported INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID;
            CREATE TABLE sync_dead_letter (
                action_id INTEGER NOT NULL,
                target TEXT NOT NULL,
                change_seq INTEGER NOT NULL,
                reason TEXT NOT NULL,
                create_time INTEGER NOT NULL,
                PRIMARY KEY (target, action_id)
            ) WITHOUT ROWID;
            """)
    }

    /// Duty rotation: rules, per-group snapshots (the generator's state between batches) and
    /// plans, in the original's shapes (`duty_rule`, `duty_rule_snap`, `duty_plan`); duty
    /// settings of user groups.
    static func v9(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE user_group ADD COLUMN need_duty INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE user_group ADD COLUMN timezone TEXT NOT NULL DEFAULT 'Asia/Shanghai';
            ALTER TABLE user_group ADD COLUMN duty_notice TEXT NOT NULL DEFAULT '{}';
            CREATE TABLE duty_rule (
                id INTEGER PRIMARY KEY,
                bk_biz_id INTEGER NOT NULL DEFAULT 0,
                name TEXT NOT NULL DEFAULT '',
                enabled INTEGER NOT NULL DEFAULT 1,
                category TEXT NOT NULL DEFAULT 'regular',
                effective_time TEXT NOT NULL,
                end_time TEXT NOT NULL DEFAULT '',
                hash TEXT NOT NULL,
                rule TEXT NOT NULL,
                update_time INTEGER NOT NULL
            );
            CREATE TABLE duty_rule_snap (
                id INTEGER PRIMARY KEY,
                user_group_id TEXT NOT NULL,
                duty_rule_id INTEGER NOT NULL,
                hash TEXT NOT NULL,
                rule_snap TEXT NOT NULL,
                first_effective_time TEXT NOT NULL,
                next_plan_time TEXT NOT NULL,
                end_time TEXT NOT NULL DEFAULT '',
                completed INTEGER NOT NULL DEFAULT 0,
                enabled INTEGER NOT NULL DEFAULT 1
            );
            CREATE INDEX duty_rule_snap_group ON duty_rule_snap (user_group_id, duty_rule_id);
            CREATE TABLE duty_plan (
                id INTEGER PRIMARY KEY,
                user_group_id TEXT NOT NULL,
                duty_rule_id INTEGER NOT NULL,
                "order" INTEGER NOT NULL,
                user_index INTEGER NOT NULL,
                is_effective INTEGER NOT NULL DEFAULT 1,
                start_time TEXT NOT NULL,
                finished_time TEXT NOT NULL,
                users TEXT NOT NULL,
                work_times TEXT NOT NULL,
                create_time INTEGER NOT NULL
            );
            CREATE INDEX duty_plan_group ON duty_plan (user_group_id, duty_rule_id, is_effective, start_time);
            """)
    }

    /// Convergence (original-system.md §1.9, §6.1): instances (the dimension is unique while open: it is
    /// the lock two passes meet on), relations, and the dimension values of each action with its
    /// time (the original's Redis sorted sets), so the whole state survives a crash.
    static func v10(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE converge_instance (
                id INTEGER PRIMARY KEY,
                dimension TEXT NOT NULL UNIQUE,
                converge_config TEXT NOT NULL DEFAULT '{}',
                converge_func TEXT NOT NULL DEFAULT '',
                converge_type TEXT NOT NULL DEFAULT 'action',
                bk_biz_id TEXT NOT NULL DEFAULT '',
                description TEXT NOT NULL DEFAULT '',
                content TEXT NOT NULL DEFAULT '',
                create_time INTEGER NOT NULL,
                end_time INTEGER,
                is_visible INTEGER NOT NULL DEFAULT 1,
                notify_status TEXT NOT NULL DEFAULT '',
                biz_dimension TEXT NOT NULL DEFAULT ''
            );
            CREATE INDEX converge_instance_biz ON converge_instance (biz_dimension, create_time) WHERE biz_dimension != '';
            CREATE TABLE converge_relation (
                converge_id INTEGER NOT NULL,
                related_id INTEGER NOT NULL,
                related_type TEXT NOT NULL DEFAULT 'action',
                is_primary INTEGER NOT NULL DEFAULT 0,
                converge_status TEXT NOT NULL DEFAULT 'skipped',
                alerts TEXT NOT NULL DEFAULT '[]',
                PRIMARY KEY (converge_id, related_id, related_type)
            ) WITHOUT ROWID;
            CREATE INDEX converge_relation_related ON converge_relation (related_id, related_type);
            CREATE TABLE converge_dimension (
                dimension TEXT NOT NULL,
                action_id INTEGER NOT NULL,
                create_time INTEGER NOT NULL,
                PRIMARY KEY (dimension, action_id)
            ) WITHOUT ROWID;
            CREATE INDEX converge_dimension_time ON converge_dimension (create_time);
            """)
    }

    /// Running passes, for `fta-tick status`: one row per pass, refreshed while it runs and
    /// removed when it ends (a pass that died leaves a row whose heartbeat goes stale).
    static func v11(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE tick_worker (
                worker_id TEXT PRIMARY KEY,
                started_at INTEGER NOT NULL,
                heartbeat_at INTEGER NOT NULL,
                lingering INTEGER NOT NULL DEFAULT 0,
                ends_by INTEGER NOT NULL
            ) WITHOUT ROWID
            """)
    }

    /// Interval repeats remember when their alert was last seen abnormal and when they started
    /// (``RepeatLimits``); repeats running before this count from their last round.
    static func v12(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE alert_cycle ADD COLUMN seen_at INTEGER;
            ALTER TABLE alert_cycle ADD COLUMN started_at INTEGER;
            UPDATE alert_cycle SET seen_at = last_time, started_at = last_time;
            """)
    }

    /// The change trigger goes: each writer numbers its own change (``nextChange``). The
    /// trigger ran a sub-program, with a statement journal, for every update of an action row,
    /// about 40 % of the SQLite work of recording an outcome (BENCHMARKS.md, "Throughput").
    static func v13(_ db: Database) throws {
        try db.execute(sql: "DROP TRIGGER IF EXISTS action_instance_change")
    }

    /// No table changes: the number marks that a claim keeps `due_at` and skips rows under a
    /// live lease (docs/decisions.md, "A claim is a lease with a fencing token"). An older fta
    /// claims by `due_at` alone and would take rows a newer pass holds, so it must refuse the file.
    static func v14(_ db: Database) throws {}

    /// The action row with its detail (`action_detail`, v15), for every read that is not the
    /// claim's own (show, export, replay, the tests, `migrate-db`). An action whose detail row is
    /// missing, which no fta command leaves so, reads with the detail's defaults.
    static let fullView = "action_full"

    /// What is fixed at creation moves out of `action_instance` into `action_detail`, so the two
    /// UPDATEs every action pays (claim, outcome) rewrite a row of 24 columns and about 200 bytes
    /// instead of 43 columns and 1.2 KB (docs/decisions.md, "The row a pass rewrites is narrow").
    /// Convergence rewrites `inputs` and `alerts` of the summaries it prepares, after numbering
    /// the change on the action row. The table is built anew (SQLite's way of dropping columns in
    /// one rewrite), its indexes with it. Its columns are spelled out again, as v1 spelled them:
    /// a migration is a record of one step and must not change when a later one does.
    static func v15(_ db: Database) throws {
        // The moved columns, as v1 declared them; their defaults are also what the view gives an
        // action without a detail row.
        let detail: [(column: String, type: String, value: String)] = [
            ("strategy_id", "INTEGER", "0"), ("strategy_relation_id", "INTEGER", "0"), ("dimension_hash", "TEXT", "''"),
            ("alert_level", "INTEGER", "3"), ("action_config_id", "INTEGER", "0"), ("bk_biz_id", "TEXT", "''"),
            ("generate_uuid", "TEXT", "''"), ("sub_actions", "TEXT", "'[]'"), ("is_enabled", "INTEGER", "1"),
            ("is_deleted", "INTEGER", "0"), ("create_user", "TEXT", "''"), ("update_user", "TEXT", "''"),
            ("strategy", "TEXT", "'{}'"), ("dimensions", "TEXT", "'[]'"), ("alerts", "TEXT", "'[]'"),
            ("action_plugin", "TEXT", "'{}'"), ("action_config", "TEXT", "'{}'"), ("inputs", "TEXT", "'{}'"), ("alert", "TEXT", "'{}'"),
        ]
        let kept = """
            id, signal, status, failure_type, ex_data, create_time, end_time, update_time, is_parent_action, parent_action_id,
            assignee, outputs, real_status, is_polled, need_poll, execute_times, dedupe_key, due_at, next_step, lease_owner,
            lease_expires_at, lease_token, deadline_at, change_seq
            """
        let moved = detail.map(\.column).joined(separator: ", ")
        try db.execute(sql: """
            CREATE TABLE action_detail (
                -- The action's id (action_instance.id).
                id INTEGER PRIMARY KEY,
                \(detail.map { "\($0.column) \($0.type) NOT NULL DEFAULT \($0.value)" }.joined(separator: ",\n    "))
            );
            INSERT INTO action_detail (id, \(moved)) SELECT id, \(moved) FROM action_instance;
            CREATE TABLE action_instance_v15 (
                id INTEGER PRIMARY KEY,
                signal TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'received',
                failure_type TEXT,
                ex_data TEXT NOT NULL DEFAULT '{}',
                create_time INTEGER NOT NULL,
                end_time INTEGER,
                update_time INTEGER NOT NULL,
                is_parent_action INTEGER NOT NULL DEFAULT 0,
                parent_action_id INTEGER NOT NULL DEFAULT 0,
                assignee TEXT NOT NULL DEFAULT '[]',
                outputs TEXT NOT NULL DEFAULT '{}',
                real_status TEXT NOT NULL DEFAULT '',
                is_polled INTEGER NOT NULL DEFAULT 0,
                need_poll INTEGER NOT NULL DEFAULT 0,
                execute_times INTEGER NOT NULL DEFAULT 0,
                dedupe_key TEXT,
                due_at INTEGER,
                next_step TEXT NOT NULL DEFAULT 'execute',
                lease_owner TEXT,
                lease_expires_at INTEGER,
                lease_token INTEGER NOT NULL DEFAULT 0,
                deadline_at INTEGER,
                change_seq INTEGER
            );
            INSERT INTO action_instance_v15 (\(kept)) SELECT \(kept) FROM action_instance;
            DROP TABLE action_instance;
            ALTER TABLE action_instance_v15 RENAME TO action_instance;
            CREATE INDEX action_instance_due ON action_instance(due_at, deadline_at) WHERE due_at IS NOT NULL;
            CREATE UNIQUE INDEX action_instance_dedupe ON action_instance(dedupe_key) WHERE dedupe_key IS NOT NULL;
            CREATE INDEX action_instance_parent ON action_instance(parent_action_id) WHERE parent_action_id > 0;
            CREATE INDEX action_instance_held ON action_instance(id) WHERE failure_type = 'blocked';
            CREATE INDEX action_instance_change ON action_instance(change_seq) WHERE change_seq IS NOT NULL;
            CREATE VIEW \(fullView) AS SELECT a.*, \(detail.map { "coalesce(d.\($0.column), \($0.value)) AS \($0.column)" }.joined(separator: ", "))
                FROM action_instance a LEFT JOIN action_detail d ON d.id = a.id;
            """)
    }

    /// Debug builds only: temporary triggers that refuse an update of an exported column made
    /// without a new change number, and a number another row already has (``nextChange`` in a
    /// statement that changes several rows), so a writer that gets it wrong fails every test
    /// that reaches it instead of silently dropping out of the export.
    static func installChangeGuard(_ db: Database) throws {
        let changed = exportedColumns.map { "NEW.\($0) IS NOT OLD.\($0)" }.joined(separator: " OR ")
        try db.execute(sql: """
            CREATE TEMP TRIGGER IF NOT EXISTS action_instance_change_guard BEFORE UPDATE ON main.action_instance
            WHEN NEW.change_seq IS OLD.change_seq AND (\(changed))
            BEGIN SELECT RAISE(ABORT, 'action_instance: an exported column changed without a new change_seq (Schema.nextChange)'); END;
            CREATE TEMP TRIGGER IF NOT EXISTS action_instance_change_shared BEFORE UPDATE OF change_seq ON main.action_instance
            WHEN NEW.change_seq IS NOT OLD.change_seq
                AND EXISTS (SELECT 1 FROM main.action_instance WHERE change_seq = NEW.change_seq AND id <> NEW.id)
            BEGIN SELECT RAISE(ABORT, 'action_instance: a change_seq given to two rows (Schema.nextChange in a statement of several rows)'); END;
            CREATE TEMP TRIGGER IF NOT EXISTS action_detail_change_guard BEFORE UPDATE ON main.action_detail
            WHEN (NEW.inputs IS NOT OLD.inputs OR NEW.alerts IS NOT OLD.alerts)
                AND NOT EXISTS (SELECT 1 FROM main.action_instance WHERE id = NEW.id AND change_seq = (\(latestChangeSQL)))
            BEGIN SELECT RAISE(ABORT, 'action_detail: inputs or alerts changed without numbering the change on the action row first'); END
            """)
    }
}
