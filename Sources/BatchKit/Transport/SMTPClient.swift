import CCurl
import Foundation

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

    var url: String { "\(security == .tls ? "smtps" : "smtp")://\(host):\(port)" }
}

/// Sends mail over SMTP through libcurl: one session per message, every recipient of the
/// message in one envelope. Not thread-safe: one client per worker thread.
public final class SMTPClient {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// `nil` only when libcurl cannot allocate a handle (out of memory).
    public init?() {
        _ = SMTPClient.globalInit
        guard let h = curl_easy_init() else { return nil }
        handle = h
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// The message text being uploaded, read by libcurl's read callback.
    private final class Source {
        let bytes: [UInt8]
        var offset = 0
        init(_ text: String) { bytes = Array(text.utf8) }
    }

    /// Sends `message`; `date` and `messageID` go into its headers.
    public func send(_ message: MailMessage, settings: SMTPSettings, date: Int64, messageID: String) -> Result<Void, TransportError> {
        guard !message.recipients.isEmpty else {
            return .failure(TransportError(kind: .other, message: "mail has no recipients"))
        }
        curl_easy_reset(handle)
        let source = Unmanaged.passRetained(Source(message.rfc5322(date: date, messageID: messageID)))
        defer { source.release() }
        var recipients: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipients) }
        for r in message.recipients { recipients = curl_slist_append(recipients, "<\(r)>") }

        ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_string(handle, CURLOPT_URL, settings.url)
        ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        ccurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(message.from)>")
        ccurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients)
        ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1)
        let timeoutMs = max(1, Int(settings.timeout * 1000))
        ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMs)
        ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMs, 10_000))
        switch settings.security {
        case .none: ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
        case .starttls, .tls: ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        }
        ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, settings.verifyTLS ? 1 : 0)
        ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, settings.verifyTLS ? 2 : 0)
        if let user = settings.username { ccurl_setopt_string(handle, CURLOPT_USERNAME, user) }
        if let password = settings.password { ccurl_setopt_string(handle, CURLOPT_PASSWORD, password) }
        errorBuffer[0] = 0
        ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        ccurl_setopt_read_callback(handle, CURLOPT_READFUNCTION) { buffer, size, count, user in
            guard let buffer, let user else { return 0 }
            let source = Unmanaged<Source>.fromOpaque(user).takeUnretainedValue()
            let n = min(size * count, source.bytes.count - source.offset)
            guard n > 0 else { return 0 }
            source.bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                UnsafeMutableRawPointer(buffer).copyMemory(from: base + source.offset, byteCount: n)
            }
            source.offset += n
            return n
        }
        ccurl_setopt_pointer(handle, CURLOPT_READDATA, source.toOpaque())

        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            var text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            if let password = settings.password, password.count >= 3 { text = text.replacingOccurrences(of: password, with: Redactor.mask) }
            let kind: TransportError.Kind
            switch code {
            case CURLE_OPERATION_TIMEDOUT: kind = .timeout
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST: kind = .connect
            case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_USE_SSL_FAILED: kind = .tls
            default: kind = .other
            }
            return .failure(TransportError(kind: kind, message: "smtp \(settings.host):\(settings.port): \(text)"))
        }
        return .success(())
    }
}
