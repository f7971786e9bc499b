import FTAConfig
import FTACore

/// The `mail` way: one SMTP message to all receivers (title → Subject, content → body).
package struct MailChannel: NoticeChannel {
    package let way = "mail"
    package let settings: MailSettings
    var smtp: SMTPSettings { settings.smtp }
    var from: String { settings.from }
    var html: Bool { settings.html }
    var maxLength: Int? { settings.maxLength }

    package init(settings: MailSettings) { self.settings = settings }

    package func send(_ message: NoticeMessage, worker: ChannelWorker) -> [String: NoticeResult] {
        // An address that is not exactly one mail address fails on its own; the rest still get the mail.
        var results: [String: NoticeResult] = [:]
        var good: [String] = []
        for r in message.receivers {
            if let why = WireCheck.mailAddress(r) { results[r] = NoticeResult(ok: false, message: "mail address refused: it \(why)") } else { good.append(r) }
        }
        guard !good.isEmpty else { return results }
        let mail = MailMessage(from: from, to: good, subject: message.title,
                               body: TextLimit.truncate(message.content, to: maxLength), isHTML: html)
        let now = worker.clock.now()
        // The idempotency key makes a re-sent message (after a crash) carry the same Message-ID.
        let id = message.idempotencyKey.map { "\($0)@fta" } ?? "\(now).\(UInt32.random(in: 0...UInt32.max))@fta"
        switch worker.smtp.send(mail, settings: smtp, date: now, messageID: id) {
        case .success: results.merge(all(good, NoticeResult(ok: true, message: "mail accepted by \(smtp.host)"))) { a, _ in a }
        case .failure(let e): results.merge(all(good, NoticeResult(ok: false, message: e.message))) { a, _ in a }
        }
        return results
    }
}
