/// One HTTP request as fta sends it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Whole-request timeout in seconds.
    public var timeout: Double
    public var verifyTLS: Bool

    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = [], timeout: Double, verifyTLS: Bool = true) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.verifyTLS = verifyTLS
    }
}
