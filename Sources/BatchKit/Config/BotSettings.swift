/// The `wxwork-bot` way's settings: the webhook URL (rendered with `chat_id`), timeout, TLS, length cap.
public struct BotSettings: Sendable {
    public var url: String
    public var timeout: Double
    public var verifyTLS: Bool
    /// WeCom accepts at most 4,096 bytes of markdown.
    public var maxLength: Int?

    public init(url: String = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={{ chat_id }}", timeout: Double = 10,
                verifyTLS: Bool = true, maxLength: Int? = 4000) {
        self.url = url
        self.timeout = timeout
        self.verifyTLS = verifyTLS
        self.maxLength = maxLength
    }
}
