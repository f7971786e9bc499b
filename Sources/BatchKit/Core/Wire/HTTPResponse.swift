/// A response as fta keeps it.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// `retry-after`, `content-type` and `location`, when present (names lower-case).
    public var headers: [String: String]
    public var body: [UInt8]
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
