import FTACore

extension DatabaseSettings {
    /// The `database:` section.
    init(_ value: JSONValue, reader: ConfigReader) throws {
        self.init()
        let o = try reader.object(value, allowed: ["busy_timeout", "synchronous"])
        if let v = o["busy_timeout"] { busyTimeout = try reader.number(v, "busy_timeout", min: 0.1, max: 3600) }
        if let v = o["synchronous"] { synchronous = try reader.choice(v, "synchronous", ["full", "normal"]) }
    }
}
