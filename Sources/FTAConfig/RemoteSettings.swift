import FTACore

/// Where a remote system's API is and how fta authenticates to it (`job:`, `sops:`, `itsm:`
/// sections; `remote:` names more for user plugins).
///
/// ```yaml
/// job:
///   url: https://bkapi.example.com/api/bk-job/prod/api/v3   # the API base the steps append to
///   site_url: https://job.example.com                        # for links in outputs.url
///   app_code: fta
///   app_secret: ${BK_APP_SECRET}
///   timeout: 10
/// itsm:
///   url: https://bkapi.example.com/api/c/compapi/v2/itsm      # ITSM v2
///   site_url: https://itsm.example.com
///   v4_url: https://itsm4.example.com                          # ITSM v4
/// ```
/// Requests carry `X-Bkapi-Authorization: {"bk_app_code", "bk_app_secret", "bk_username"}`
/// (the API gateway's header) with the operator as `bk_username`.
package struct RemoteSystem: Sendable, Equatable {
    package var url = ""
    package var siteURL = ""
    package var appCode = ""
    package var appSecret = ""
    package var timeout: Double = 10
    package var verifyTLS = true

    package init(url: String = "", siteURL: String = "") {
        self.url = url
        self.siteURL = siteURL
    }

    /// Parses one section; `extra` lists additional URL keys (ITSM's `v4_url`), returned by name.
    static func parse(_ value: JSONValue, reader: ConfigReader, extra: [String] = []) throws -> (RemoteSystem, [String: String]) {
        let o = try reader.object(value, allowed: ["url", "site_url", "app_code", "app_secret", "timeout", "verify_tls"] + extra)
        var s = RemoteSystem()
        if let v = o["url"] { s.url = try reader.string(v, "url").trimmingTrailingSlash }
        if let v = o["site_url"] { s.siteURL = try reader.string(v, "site_url").trimmingTrailingSlash }
        if let v = o["app_code"] { s.appCode = try reader.string(v, "app_code") }
        if let v = o["app_secret"] { s.appSecret = try reader.string(v, "app_secret") }
        if let v = o["timeout"] { s.timeout = try reader.number(v, "timeout", min: 0.1, max: 600) }
        if let v = o["verify_tls"] { s.verifyTLS = try reader.bool(v, "verify_tls") }
        for (name, url) in [("url", s.url), ("site_url", s.siteURL)] where !url.isEmpty {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw reader.fail(name, "'\(Redactor.safeURL(url))' is not an http(s) URL") }
            if let why = WireCheck.url(url) { throw reader.fail(name, why) }
        }
        var more: [String: String] = [:]
        for k in extra { if let v = o[k] { more[k] = try reader.string(v, k).trimmingTrailingSlash } }
        return (s, more)
    }
}

extension String {
    var trimmingTrailingSlash: String {
        var s = self
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }
}
