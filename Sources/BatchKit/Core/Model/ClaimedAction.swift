/// An action row claimed by one pass: its data and the lease that fences every write for it.
///
/// JSON columns arrive as text and are parsed by the worker that runs the action, so the
/// parsing cost is spread over the worker threads instead of the recording thread.
public struct ClaimedAction: Sendable {
    public var id: Int64
    public var leaseToken: Int64
    /// `due_at` before the claim, restored when the pass releases the row unstarted.
    public var previousDueAt: Int64
    /// The lease on this row was held by another worker that let it expire.
    public var leaseWasExpired: Bool
    public var nextStep: String
    public var signal: String
    public var status: ActionStatus
    public var strategyId: Int64
    public var bkBizId: String
    public var alertLevel: Int64
    public var executeTimes: Int64
    public var createTime: Int64
    public var deadlineAt: Int64?
    public var isParentAction: Bool
    public var parentActionId: Int64
    public var actionConfigId: Int64
    public var generateUUID: String
    public var pluginType: String
    public var text: Columns

    /// The JSON columns, unparsed.
    public struct Columns: Sendable {
        public var strategy = "{}"
        public var dimensions = "[]"
        public var alerts = "[]"
        public var alert = "{}"
        public var actionPlugin = "{}"
        public var actionConfig = "{}"
        public var inputs = "{}"
        public var outputs = "{}"
        public var exData = "{}"
        public var assignee = "[]"
        public init() {}
    }

    public init(id: Int64, leaseToken: Int64, nextStep: String = "execute", signal: String = "abnormal",
                status: ActionStatus = .received, createTime: Int64 = 0, pluginType: String = "webhook") {
        self.id = id
        self.leaseToken = leaseToken
        self.previousDueAt = createTime
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

    /// The public id used by the original's event centre and ES: `<create_ts><raw id>`.
    public var esActionId: String { "\(createTime)\(id)" }

    /// Parsed JSON columns (malformed text in the database reads as empty).
    public func json(_ keyPath: KeyPath<Columns, String>, default fallback: JSONValue = .emptyObject) -> JSONValue {
        (try? JSONParser.parse(text[keyPath: keyPath])) ?? fallback
    }
}
