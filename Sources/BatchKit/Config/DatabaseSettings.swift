/// `database:` section.
public struct DatabaseSettings: Sendable, Equatable {
    /// Seconds a write waits for another process's transaction before giving up.
    public var busyTimeout: Double = 30
    /// SQLite `synchronous` for input (enqueue, retry, skip): `full` (default; a committed
    /// enqueue survives power loss) or `normal`. A pass's own bookkeeping always uses `normal`.
    public var synchronous: String = "full"

    public init() {}

    init(_ value: JSONValue, reader: ConfigReader) throws {
        let o = try reader.object(value, allowed: ["busy_timeout", "synchronous"])
        if let v = o["busy_timeout"] { busyTimeout = try reader.number(v, "busy_timeout", min: 0.1, max: 3600) }
        if let v = o["synchronous"] { synchronous = try reader.choice(v, "synchronous", ["full", "normal"]) }
    }
}
