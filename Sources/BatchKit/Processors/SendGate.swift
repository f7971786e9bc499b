/// "This send happens once per window": how a processor asks, without touching the database
/// itself. The store's ``NoticeDedupe`` implements it; the pass hands it to each worker.
public protocol SendGate: Sendable {
    /// Claims `key` for `actionId` until `now + window`: nil when claimed, else the holder's id.
    func claim(_ key: String, actionId: Int64, now: Int64, window: Int64) throws -> Int64?

    /// Counts one send to `receiver` on `way` against `cap` per `window`. Returns nil when the
    /// send may go out; otherwise the notice is folded into the receiver's digest (its title and
    /// alert kept) and the time the digest goes out is returned.
    func admit(way: String, receiver: String, cap: Int, window: Int64, now: Int64, fold: DigestItem) throws -> Int64?
}

/// What a notice folded into a digest leaves there.
public struct DigestItem: Sendable {
    public var title: String
    public var alertId: String
    public var bkBizId: String
    public init(title: String, alertId: String, bkBizId: String) {
        self.title = title
        self.alertId = alertId
        self.bkBizId = bkBizId
    }
}

/// A per-recipient cap of one way (`channels.<way>.recipient_cap`).
public struct RecipientCap: Sendable, Equatable {
    public var max: Int
    public var window: Int64
    public init(max: Int, window: Int64) {
        self.max = max
        self.window = window
    }
}
