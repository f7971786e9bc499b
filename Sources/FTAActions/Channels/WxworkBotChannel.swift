import FTAConfig
import FTACore
import FTATemplates

/// The `wxwork-bot` way: a WeCom group-bot webhook per chat, markdown content, mentions as
/// `<@user>`. Each receiver is a chat id (the bot key); `url` renders with `chat_id`.
/// Success is a 2xx answer whose `errcode` is 0.
package struct WxworkBotChannel: NoticeChannel {
    package let way = "wxwork-bot"
    package let settings: BotSettings
    var url: String { settings.url }
    var timeout: Double { settings.timeout }
    var verifyTLS: Bool { settings.verifyTLS }
    var maxLength: Int? { settings.maxLength }

    package init(settings: BotSettings = BotSettings()) { self.settings = settings }

    package func send(_ message: NoticeMessage, worker: ChannelWorker) -> [String: NoticeResult] {
        var text = message.title.isEmpty ? message.content : "**\(message.title)**\n\(message.content)"
        if !message.mentions.isEmpty { text += "\n" + message.mentions.map { "<@\($0)>" }.joined(separator: " ") }
        let body = JSONValue.object(["msgtype": "markdown", "markdown": ["content": .string(TextLimit.truncate(text, to: maxLength))]]).jsonText
        var results: [String: NoticeResult] = [:]
        for (n, chat) in message.receivers.enumerated() {
            var headers = [("Content-Type", "application/json")]
            if let key = message.idempotencyKey { headers.append(("Idempotency-Key", message.receivers.count > 1 ? "\(key)-\(n + 1)" : key)) }
            let target: String
            do {
                target = try worker.renderer.render(url, field: "channels.wxwork-bot.url", context: TemplateRenderer.Context(["chat_id": .string(chat)]))
            } catch {
                results[chat] = NoticeResult(ok: false, message: "\(error)")
                continue
            }
            if let why = WireCheck.url(target) {
                results[chat] = NoticeResult(ok: false, message: "wxwork-bot: rendered channels.wxwork-bot.url \(why); not sent")
                continue
            }
            let request = HTTPRequest(method: "POST", url: target, headers: headers,
                                      body: Array(body.utf8), timeout: timeout, verifyTLS: verifyTLS)
            switch worker.http.perform(request) {
            case .failure(let e):
                results[chat] = NoticeResult(ok: false, message: "wxwork-bot \(Redactor.safeURL(target)): \(e.message)")
            case .success(let r):
                let reply = try? JSONParser.parse(r.bodyText)
                let errcode = reply?["errcode"]?.intValue ?? 0
                if (200..<300).contains(r.status) && errcode == 0 {
                    results[chat] = NoticeResult(ok: true, message: "sent")
                } else {
                    results[chat] = NoticeResult(ok: false, message: "wxwork-bot answered \(r.status), errcode \(errcode): \(reply?["errmsg"]?.stringValue ?? TextLimit.excerpt(r.bodyText))")
                }
            }
        }
        return results
    }
}
