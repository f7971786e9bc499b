import FTAConfig
import FTACore
import FTATemplates
import FTATransport

/// Resources one worker thread hands to processors: its own HTTP handle (kept alive between
/// actions) and template cache, the settings and the clock.
package final class WorkerContext {
    package let http: any HTTPTransport
    package let renderer: TemplateRenderer
    /// Action configs parsed once per worker (keyed by their text).
    package let configs = ConfigCache()
    /// Handles for notice channels (SMTP and HTTP), made on first use.
    package lazy var channels: ChannelWorker? = ChannelWorker(http: http, renderer: renderer, clock: clock)
    /// Redis connections of message-queue pushes, by server.
    var redisClients: [String: RedisClient] = [:]
    /// The circuit breaker's active rules, read when the pass starts.
    package var breaker = BreakerMatcher(rules: [])
    package let settings: TickSettings
    package let clock: Clock

    /// `nil` when no HTTP handle can be had (out of memory).
    package convenience init?(settings: TickSettings, clock: Clock) {
        guard let http = HTTPClient(maxResponseBytes: settings.maxResponseBytes, userAgent: settings.userAgent) else { return nil }
        self.init(settings: settings, clock: clock, http: http)
    }

    /// A worker that sends HTTP through `http` (unit tests give a scripted transport).
    package init(settings: TickSettings, clock: Clock, http: any HTTPTransport) {
        self.settings = settings
        self.clock = clock
        self.http = http
        renderer = TemplateRenderer()
    }
}
