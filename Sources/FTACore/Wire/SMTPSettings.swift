/// Where and how to deliver mail (the `channels.mail` config).
package struct SMTPSettings: Sendable, Equatable {
    package enum Security: String, Sendable, CaseIterable {
        /// Plain SMTP (test servers, local relays).
        case none
        /// STARTTLS required: the session fails rather than send in clear.
        case starttls
        /// TLS from the first byte (`smtps://`, usually port 465).
        case tls
    }

    package var host: String
    package var port: Int
    package var security: Security
    package var username: String?
    package var password: String?
    package var verifyTLS: Bool
    /// Whole-session timeout in seconds.
    package var timeout: Double

    package init(host: String, port: Int, security: Security = .starttls, username: String? = nil, password: String? = nil,
                verifyTLS: Bool = true, timeout: Double = 30) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.verifyTLS = verifyTLS
        self.timeout = timeout
    }

    package var url: String { "\(security == .tls ? "smtps" : "smtp")://\(host):\(port)" }
}
