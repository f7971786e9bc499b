/// `elasticsearch:` section, for `fta-sync`.
///
/// ```yaml
/// elasticsearch:
///   url: [https://es1.example.com:9200, https://es2.example.com:9200]
///   username: fta
///   password: ${ES_PASSWORD}        # or api_key: ${ES_API_KEY}
///   prefix: bkfta_action            # indices <prefix>_YYYYMMDD
///   index_pattern: "{prefix}_{YYYY}{MM}{DD}"   # or monthly: "{prefix}_{YYYY}{MM}"
///   batch_size: 500
///   batch_bytes: 5242880
/// ```
package struct ElasticsearchSettings: Sendable, Equatable {
    package var urls: [String] = []
    package var username: String?
    package var password: String?
    package var apiKey: String?
    package var prefix = "bkfta_action"
    /// The write index's name: `{prefix}`, `{YYYY}`, `{MM}`, `{DD}` (UTC date of create_time).
    package var indexPattern = "{prefix}_{YYYY}{MM}{DD}"
    package var batchSize = 500
    package var batchBytes = 5 * 1024 * 1024
    package var timeout: Double = 30
    package var verifyTLS = true
    /// Attempts for items refused with 429/5xx before the run stops (the checkpoint stays).
    package var maxRetries = 6
    package var gzip = true
    package var shards = 3
    package var replicas = 1
    /// The checkpoint's name: one per target cluster.
    package var target = "default"
    /// `aliases`: the original's layout (physical `<prefix>_<YYYYMMDD>_<n>` indices written through
    /// `write_<YYYYMMDD>_<prefix>` and read through `<prefix>_<YYYYMMDD>_read`); `index`: one
    /// plain index per `indexPattern`, no aliases.
    package var layout = Layout.aliases
    /// Aliases layout: a new physical index once the current one's primary store passes this.
    package var rolloverBytes: Int64 = 50 << 30
    /// Aliases layout: indices whose every day is older than this are deleted (0: never).
    package var retentionDays = 365

    package enum Layout: String, Sendable, Equatable {
        case aliases, index
    }

    package init() {}
}
