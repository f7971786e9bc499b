/// An action row claimed by one pass: its data and the lease that fences every write for it.
///
/// JSON columns arrive as text and are parsed by the worker that runs the action, so the
/// parsing cost is spread over the worker threads instead of the recording thread.
package struct ClaimedAction: Sendable {
    package var id: Int64
    package var leaseToken: Int64
    /// When the row came due: its `due_at`, or for a row taken over from a lease that ran out,
    /// the expiry if later (where its start delay counts from).
    package var cameDueAt: Double
    /// The lease on this row was held by another worker that let it expire.
    package var leaseWasExpired: Bool
    package var nextStep: String
    package var signal: String
    package var status: ActionStatus
    package var strategyId: Int64
    package var bkBizId: String
    package var alertLevel: Int64
    package var executeTimes: Int64
    package var createTime: Int64
    package var deadlineAt: Int64?
    package var isParentAction: Bool
    package var parentActionId: Int64
    package var actionConfigId: Int64
    package var generateUUID: String
    package var pluginType: String
    package var text: Columns

    /// The JSON columns, unparsed. They share one copy-on-write box: an action is copied from
    /// the claim to the queue, the worker, the held set and the record, and each copy of ten
    /// separate strings retained and later released each of them (BENCHMARKS.md "Sixth round").
    package struct Columns: Sendable {
        /// The ten texts, in a box written only while uniquely referenced (``unique()``), so
        /// sharing it between threads is sharing immutable values.
        private struct Texts {
            var strategy = "{}", dimensions = "[]", alerts = "[]", alert = "{}", actionPlugin = "{}"
            var actionConfig = "{}", inputs = "{}", outputs = "{}", exData = "{}", assignee = "[]"
        }
        private final class Storage: @unchecked Sendable {
            var texts: Texts
            init(_ texts: Texts) { self.texts = texts }
        }

        private var storage = Storage(Texts())

        package init() {}

        private mutating func unique() -> Storage {
            if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.texts) }
            return storage
        }

        package var strategy: String { get { storage.texts.strategy } set { unique().texts.strategy = newValue } }
        package var dimensions: String { get { storage.texts.dimensions } set { unique().texts.dimensions = newValue } }
        package var alerts: String { get { storage.texts.alerts } set { unique().texts.alerts = newValue } }
        package var alert: String { get { storage.texts.alert } set { unique().texts.alert = newValue } }
        package var actionPlugin: String { get { storage.texts.actionPlugin } set { unique().texts.actionPlugin = newValue } }
        package var actionConfig: String { get { storage.texts.actionConfig } set { unique().texts.actionConfig = newValue } }
        package var inputs: String { get { storage.texts.inputs } set { unique().texts.inputs = newValue } }
        package var outputs: String { get { storage.texts.outputs } set { unique().texts.outputs = newValue } }
        package var exData: String { get { storage.texts.exData } set { unique().texts.exData = newValue } }
        package var assignee: String { get { storage.texts.assignee } set { unique().texts.assignee = newValue } }
    }

    package init(id: Int64, leaseToken: Int64, nextStep: String = "execute", signal: String = "abnormal",
                status: ActionStatus = .received, createTime: Int64 = 0, pluginType: String = "webhook") {
        self.id = id
        self.leaseToken = leaseToken
        self.cameDueAt = Double(createTime)
        self.leaseWasExpired = false
        self.nextStep = nextStep
        self.signal = signal
        self.status = status
        self.strategyId = 0
        self.bkBizId = ""
        self.alertLevel = 3
        self.executeTimes = 0
        self.createTime = createTime
        self.deadlineAt = nil
        self.isParentAction = false
        self.parentActionId = 0
        self.actionConfigId = 0
        self.generateUUID = ""
        self.pluginType = pluginType
        self.text = Columns()
    }

    /// The package id used by the original's event centre and ES: `<create_ts><raw id>`.
    package var esActionId: String { "\(createTime)\(id)" }

    /// Parsed JSON columns (malformed text in the database reads as empty).
    package func json(_ keyPath: KeyPath<Columns, String>, default fallback: JSONValue = .emptyObject) -> JSONValue {
        ClaimedAction.json(text[keyPath: keyPath], default: fallback)
    }

    /// The same for a column read directly (`a.text.alert`), for hot paths: a read through a
    /// key path copies the whole `Columns` (about 1,400 instructions a call).
    package static func json(_ column: String, default fallback: JSONValue = .emptyObject) -> JSONValue {
        (try? JSONParser.parse(column)) ?? fallback
    }
}
