/// One send on one notice way: every receiver gets the same title and content (merged
/// children of the original go out as one message).
public struct NoticeMessage: Sendable, Equatable {
    /// `mail`, `sms`, `voice`, `weixin`, `qy_weixin`, `rtx`, `wxwork-bot`.
    public var way: String
    /// Addresses on that way: e-mail addresses, phone numbers, IM ids, bot chat ids.
    public var receivers: [String]
    public var title: String
    public var content: String
    /// Users to mention (bot ways).
    public var mentions: [String]
    /// The same for a send that is repeated after a crash (the first action's public id, its
    /// step and execution), so a gateway can drop the duplicate: sent as `Idempotency-Key`
    /// (with `-<n>` per request when one send makes several) and as the mail's Message-ID.
    public var idempotencyKey: String?

    public init(way: String, receivers: [String], title: String, content: String, mentions: [String] = [], idempotencyKey: String? = nil) {
        self.way = way
        self.receivers = receivers
        self.title = title
        self.content = content
        self.mentions = mentions
        self.idempotencyKey = idempotencyKey
    }
}

/// What happened to one receiver of a send.
public struct NoticeResult: Sendable, Equatable {
    public var ok: Bool
    public var message: String

    public init(ok: Bool, message: String) {
        self.ok = ok
        self.message = message
    }
}
