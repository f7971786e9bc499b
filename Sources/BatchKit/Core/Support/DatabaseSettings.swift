/// `database:` section.
public struct DatabaseSettings: Sendable, Equatable {
    /// Seconds a write waits for another process's transaction before giving up.
    public var busyTimeout: Double = 30
    /// SQLite `synchronous` for input (enqueue, retry, skip): `full` (default; a committed
    /// enqueue survives power loss) or `normal`. A pass's own bookkeeping always uses `normal`.
    public var synchronous: String = "full"

    public init() {}
}
