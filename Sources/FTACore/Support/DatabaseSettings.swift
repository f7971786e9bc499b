/// `database:` section.
package struct DatabaseSettings: Sendable, Equatable {
    /// Seconds a write waits for another process's transaction before giving up.
    package var busyTimeout: Double = 30
    /// SQLite `synchronous` for input (enqueue, retry, skip): `full` (default; a committed
    /// enqueue survives power loss) or `normal`. A pass's own bookkeeping always uses `normal`.
    package var synchronous: String = "full"

    package init() {}
}
