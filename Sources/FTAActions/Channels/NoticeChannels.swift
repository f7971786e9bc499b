import FTAConfig

/// Builds the notice channels the configuration describes.
package enum NoticeChannels {
    package static func make(_ settings: [String: ChannelSettings.Way]) -> [String: any NoticeChannel] {
        settings.mapValues { way -> any NoticeChannel in
            switch way {
            case .mail(let m): return MailChannel(settings: m)
            case .bot(let b): return WxworkBotChannel(settings: b)
            case .gateway(let g): return GatewayChannel(settings: g)
            }
        }
    }
}
