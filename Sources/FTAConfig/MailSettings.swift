import FTACore

/// The `mail` way's settings: the SMTP server, the sender, HTML or plain text, a length cap.
package struct MailSettings: Sendable {
    package var smtp: SMTPSettings
    package var from: String
    package var html: Bool
    package var maxLength: Int?

    package init(smtp: SMTPSettings, from: String, html: Bool = true, maxLength: Int? = nil) {
        self.smtp = smtp
        self.from = from
        self.html = html
        self.maxLength = maxLength
    }
}
