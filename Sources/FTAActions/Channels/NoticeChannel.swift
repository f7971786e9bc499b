import FTACore
import FTATemplates
import FTATransport

/// Per-thread resources a channel sends with: kept-alive HTTP and SMTP handles, the template
/// cache and the clock.
package final class ChannelWorker {
    package let http: any HTTPTransport
    package let smtp: SMTPClient
    package let renderer: TemplateRenderer
    package let clock: Clock

    /// Shares `http` and `renderer` with the worker thread that owns them; `nil` only when
    /// libcurl cannot allocate a handle (out of memory).
    package init?(http: any HTTPTransport, renderer: TemplateRenderer, clock: Clock) {
        guard let smtp = SMTPClient() else { return nil }
        self.http = http
        self.smtp = smtp
        self.clock = clock
        self.renderer = renderer
    }

    /// A worker with its own handles (tests, tools).
    package convenience init?(clock: Clock, userAgent: String = "fta/\(FTAVersion.string)") {
        guard let http = HTTPClient(userAgent: userAgent) else { return nil }
        self.init(http: http, renderer: TemplateRenderer(), clock: clock)
    }
}

/// One notice way (mail, an SMS/voice/IM gateway, a bot webhook): sends one message to its
/// receivers and says, per receiver, whether it went out.
package protocol NoticeChannel: Sendable {
    var way: String { get }
    func send(_ message: NoticeMessage, worker: ChannelWorker) -> [String: NoticeResult]
}

extension NoticeChannel {
    /// The same result for every receiver (a gateway call that covers them all).
    func all(_ receivers: [String], _ result: NoticeResult) -> [String: NoticeResult] {
        Dictionary(receivers.map { ($0, result) }, uniquingKeysWith: { a, _ in a })
    }
}
