/// The `wxwork-bot` way's settings: the webhook URL (rendered with `chat_id`), timeout, TLS, length cap.
package struct BotSettings: Sendable {
    package var url: String
    package var timeout: Double
    package var verifyTLS: Bool
    /// WeCom accepts at most 4,096 bytes of markdown.
    package var maxLength: Int?

    package init(url: String = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={{ chat_id }}", timeout: Double = 10,
                verifyTLS: Bool = true, maxLength: Int? = 4000) {
        self.url = url
        self.timeout = timeout
        self.verifyTLS = verifyTLS
        self.maxLength = maxLength
    }
}
