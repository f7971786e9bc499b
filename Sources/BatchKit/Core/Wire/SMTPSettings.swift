/// Where and how to deliver mail (the `channels.mail` config).
public struct SMTPSettings: Sendable, Equatable {
    public enum Security: String, Sendable, CaseIterable {
        /// Plain SMTP (test servers, local relays).
        case none
        /// STARTTLS required: the session fails rather than send in clear.
        case starttls
        /// TLS from the first byte (`smtps://`, usually port 465).
        case tls
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    public var verifyTLS: Bool
    /// Whole-session timeout in seconds.
    public var timeout: Double

    public init(host: String, port: Int, security: Security = .starttls, username: String? = nil, password: String? = nil,
                verifyTLS: Bool = true, timeout: Double = 30) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.verifyTLS = verifyTLS
        self.timeout = timeout
    }

    public var url: String { "\(security == .tls ? "smtps" : "smtp")://\(host):\(port)" }
}
