/// The `mail` way: one SMTP message to all receivers (title → Subject, content → body).
public struct MailChannel: NoticeChannel {
    public let way = "mail"
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

    public func send(_ message: NoticeMessage, worker: ChannelWorker) -> [String: NoticeResult] {
        let mail = MailMessage(from: from, to: message.receivers, subject: message.title,
                               body: TextLimit.truncate(message.content, to: maxLength), isHTML: html)
        let now = worker.clock.now()
        let id = "\(now).\(UInt32.random(in: 0...UInt32.max))@fta"
        switch worker.smtp.send(mail, settings: smtp, date: now, messageID: id) {
        case .success: return all(message.receivers, NoticeResult(ok: true, message: "mail accepted by \(smtp.host)"))
        case .failure(let e): return all(message.receivers, NoticeResult(ok: false, message: e.message))
        }
    }
}
