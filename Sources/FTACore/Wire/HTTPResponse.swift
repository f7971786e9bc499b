/// A response as fta keeps it.
package struct HTTPResponse: Sendable {
    package init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package var status: Int
    /// `retry-after`, `content-type` and `location`, when present (names lower-case).
    package var headers: [String: String]
    package var body: [UInt8]
    package var bodyText: String { String(decoding: body, as: UTF8.self) }
}
