/// Resources one worker thread hands to processors: its own HTTP handle (kept alive between
/// actions) and template cache, the settings and the clock.
public final class WorkerContext {
    public let http: HTTPClient
    public let renderer: TemplateRenderer
    /// Handles for notice channels (SMTP and HTTP), made on first use.
    public lazy var channels: ChannelWorker? = ChannelWorker(http: http, renderer: renderer, clock: clock)
    /// Redis connections of message-queue pushes, by server.
    var redisClients: [String: RedisClient] = [:]
    /// The circuit breaker's active rules, read when the pass starts.
    public var breaker = BreakerMatcher(rules: [])
    public let settings: TickSettings
    public let clock: Clock

    /// `nil` when no HTTP handle can be had (out of memory).
    public init?(settings: TickSettings, clock: Clock) {
        guard let http = HTTPClient(maxResponseBytes: settings.maxResponseBytes, userAgent: settings.userAgent) else { return nil }
        self.settings = settings
        self.clock = clock
        self.http = http
        renderer = TemplateRenderer()
    }
}
