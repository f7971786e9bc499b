/// The `mail` way's settings: the SMTP server, the sender, HTML or plain text, a length cap.
public struct MailSettings: Sendable {
    public var smtp: SMTPSettings
    public var from: String
    public var html: Bool
    public var maxLength: Int?

    public init(smtp: SMTPSettings, from: String, html: Bool = true, maxLength: Int? = nil) {
        self.smtp = smtp
        self.from = from
        self.html = html
        self.maxLength = maxLength
    }
}
