import CCurl
import Foundation
import FTACore

/// Sends mail over SMTP through libcurl: one session per message, every recipient of the
/// message in one envelope. Not thread-safe: one client per worker thread.
package final class SMTPClient {
    private let curl: CurlEasy
    private var handle: UnsafeMutableRawPointer { curl.handle }

    /// `nil` only when libcurl cannot allocate a handle (out of memory).
    package init?() {
        guard let curl = CurlEasy() else { return nil }
        self.curl = curl
    }

    /// The message text being uploaded, read by libcurl's read callback.
    private final class Source {
        let bytes: [UInt8]
        var offset = 0
        init(_ text: String) { bytes = Array(text.utf8) }
    }

    /// Sends `message`; `date` and `messageID` go into its headers.
    package func send(_ message: MailMessage, settings: SMTPSettings, date: Int64, messageID: String) -> Result<Void, TransportError> {
        guard !message.recipients.isEmpty else {
            return .failure(TransportError(kind: .other, message: "mail has no recipients"))
        }
        // The envelope takes each address as a command argument: one with CR or LF would
        // smuggle SMTP commands. The channel refuses such addresses first; this is the last line.
        for address in [message.from] + message.recipients {
            if let why = WireCheck.mailAddress(address) {
                return .failure(TransportError(kind: .refused, message: "mail not sent: address \(why)"))
            }
        }
        curl.reset(protocols: "smtp,smtps", timeout: settings.timeout, verifyTLS: settings.verifyTLS)
        let source = Unmanaged.passRetained(Source(message.rfc5322(date: date, messageID: messageID)))
        defer { source.release() }
        var recipients: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipients) }
        for r in message.recipients { recipients = curl_slist_append(recipients, "<\(r)>") }

        ccurl_setopt_string(handle, CURLOPT_URL, settings.url)
        ccurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(message.from)>")
        ccurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients)
        ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1)
        switch settings.security {
        case .none: ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
        case .starttls, .tls: ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        }
        if let user = settings.username { ccurl_setopt_string(handle, CURLOPT_USERNAME, user) }
        if let password = settings.password { ccurl_setopt_string(handle, CURLOPT_PASSWORD, password) }
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
            var error = curl.error(code)
            if let password = settings.password, password.count >= 3 {
                error.message = error.message.replacingOccurrences(of: password, with: Redactor.mask)
            }
            error.message = "smtp \(settings.host):\(settings.port): \(error.message)"
            return .failure(error)
        }
        return .success(())
    }
}
