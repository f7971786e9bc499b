/// "This send happens once per window": how a processor asks, without touching the database
/// itself. The store's ``NoticeDedupe`` implements it; the pass hands it to each worker.
public protocol SendGate: Sendable {
    /// Claims `key` for `actionId` until `now + window`: nil when claimed, else the holder's id.
    func claim(_ key: String, actionId: Int64, now: Int64, window: Int64) throws -> Int64?
}
