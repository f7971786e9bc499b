/// One HTTP request as fta sends it.
package struct HTTPRequest: Sendable {
    package var method: String
    package var url: String
    package var headers: [(String, String)]
    package var body: [UInt8]
    /// Whole-request timeout in seconds.
    package var timeout: Double
    package var verifyTLS: Bool

    package init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = [], timeout: Double, verifyTLS: Bool = true) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.verifyTLS = verifyTLS
    }
}
