/// One send on one notice way: every receiver gets the same title and content (merged
/// children of the original go out as one message).
package struct NoticeMessage: Sendable, Equatable {
    /// `mail`, `sms`, `voice`, `weixin`, `qy_weixin`, `rtx`, `wxwork-bot`.
    package var way: String
    /// Addresses on that way: e-mail addresses, phone numbers, IM ids, bot chat ids.
    package var receivers: [String]
    package var title: String
    package var content: String
    /// Users to mention (bot ways).
    package var mentions: [String]
    /// The same for a send that is repeated after a crash (the first action's package id, its
    /// step and execution), so a gateway can drop the duplicate: sent as `Idempotency-Key`
    /// (with `-<n>` per request when one send makes several) and as the mail's Message-ID.
    package var idempotencyKey: String?

    package init(way: String, receivers: [String], title: String, content: String, mentions: [String] = [], idempotencyKey: String? = nil) {
        self.way = way
        self.receivers = receivers
        self.title = title
        self.content = content
        self.mentions = mentions
        self.idempotencyKey = idempotencyKey
    }
}

/// What happened to one receiver of a send.
package struct NoticeResult: Sendable, Equatable {
    package var ok: Bool
    package var message: String

    package init(ok: Bool, message: String) {
        self.ok = ok
        self.message = message
    }
}
