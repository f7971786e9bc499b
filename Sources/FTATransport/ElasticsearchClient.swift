import CCurl
import Foundation
import FTACore

/// The parts of the Elasticsearch REST API fta-sync uses, over one kept-alive libcurl handle:
/// cluster info, index templates, `_bulk`. Tries the configured URLs in turn when one cannot
/// be reached.
package final class ElasticsearchClient {
    let settings: ElasticsearchSettings
    let http: HTTPClient
    var current = 0
    /// Cleared when the server refuses a gzip body; the request is then sent plain.
    package private(set) var gzip: Bool

    package init(settings: ElasticsearchSettings, userAgent: String) throws {
        guard !settings.urls.isEmpty else { throw FTAError.config("elasticsearch.url: missing (the cluster's address)") }
        guard let http = HTTPClient(maxResponseBytes: 256 << 20, userAgent: userAgent) else {
            throw FTAError.environment("elasticsearch: no HTTP handle could be allocated")
        }
        self.settings = settings
        self.http = http
        gzip = settings.gzip
    }

    var authHeader: (String, String)? {
        if let key = settings.apiKey { return ("Authorization", "ApiKey \(key)") }
        if let user = settings.username {
            return ("Authorization", "Basic " + Data("\(user):\(settings.password ?? "")".utf8).base64EncodedString())
        }
        return nil
    }

    /// Sends one request; a connection failure tries the next URL, and when none answers
    /// throws an environment error (exit 3) naming the address without credentials.
    package func send(_ method: String, _ path: String, body: [UInt8] = [], contentType: String = "application/json") throws -> HTTPResponse {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let a = authHeader { headers.append(a) }
        var payload = body
        var compressed = false
        if gzip, body.count > 1024, let z = ElasticsearchClient.gzipped(body) {
            payload = z
            compressed = true
            headers.append(("Content-Encoding", "gzip"))
        }
        if !body.isEmpty { headers.append(("Content-Type", contentType)) }
        var lastError = ""
        for attempt in 0..<settings.urls.count {
            let base = settings.urls[(current + attempt) % settings.urls.count]
            let request = HTTPRequest(method: method, url: base + path, headers: headers, body: payload, timeout: settings.timeout, verifyTLS: settings.verifyTLS)
            switch http.perform(request) {
            case .success(let response):
                current = (current + attempt) % settings.urls.count
                if compressed, response.status == 400 || response.status == 415,
                   response.bodyText.lowercased().contains("content-encoding") || response.bodyText.lowercased().contains("gzip") {
                    gzip = false
                    return try send(method, path, body: body, contentType: contentType)
                }
                return response
            case .failure(let error):
                lastError = "\(Redactor.safeURL(base)): \(error)"
            }
        }
        throw FTAError.environment("elasticsearch unreachable: \(lastError)")
    }

    static func gzipped(_ bytes: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: bytes.count + bytes.count / 10 + 64)
        let capacity = out.count
        let n = bytes.withUnsafeBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in fta_gzip(inp.baseAddress, UInt(inp.count), o.baseAddress, UInt(capacity), 1) }
        }
        guard n > 0 else { return nil }
        out.removeSubrange(n...)
        return out
    }

    /// Installs (or replaces, when its version differs) the index template for the prefix.
    package func ensureTemplate(prefix: String, shards: Int, replicas: Int, pattern: String = "{prefix}_{YYYY}{MM}{DD}") throws -> Bool {
        let name = prefix
        let existing = try call("GET", "/_index_template/\(name)", doing: "reading index template \(name)", allow: [404])
        if existing.status == 200, let t = existing.body["index_templates"]?.arrayValue?.first?["index_template"],
           t["version"]?.intValue == ActionDocument.templateVersion,
           t["index_patterns"]?.arrayValue?.first?.stringValue == ActionDocument.indexGlob(prefix: prefix, pattern: pattern) {
            return false
        }
        try call("PUT", "/_index_template/\(name)", ActionDocument.indexTemplate(prefix: prefix, shards: shards, replicas: replicas, pattern: pattern),
                 doing: "installing index template \(name)")
        return true
    }

    /// A JSON request whose answer must be 2xx (or one of `allow`); anything else is an
    /// environment error naming what was being done.
    @discardableResult
    func call(_ method: String, _ path: String, _ body: JSONValue? = nil, doing what: String, allow: Set<Int> = []) throws -> (status: Int, body: JSONValue) {
        let r = try send(method, path, body: body.map { Array($0.jsonText.utf8) } ?? [])
        guard (200..<300).contains(r.status) || allow.contains(r.status) else {
            throw FTAError.environment("elasticsearch: \(what) answered \(r.status): \(TextLimit.excerpt(r.bodyText))")
        }
        return (r.status, (try? JSONParser.parse(r.bodyText)) ?? .null)
    }

    /// Primary store size in bytes and document count of every index a pattern matches
    /// (`_stats/store,docs`).
    package func indexSizes(_ pattern: String) throws -> [String: (bytes: Int64, docs: Int64)] {
        let doc = try call("GET", "/\(pattern)/_stats/store,docs", doing: "reading the sizes of \(pattern)").body
        var out: [String: (Int64, Int64)] = [:]
        for (name, stats) in doc["indices"]?.objectValue ?? [:] {
            out[name] = (stats["primaries"]?["store"]?["size_in_bytes"]?.intValue ?? 0, stats["primaries"]?["docs"]?["count"]?.intValue ?? 0)
        }
        return out
    }

    /// The aliases of every index a pattern matches.
    package func indexAliases(_ pattern: String) throws -> [String: Set<String>] {
        let doc = try call("GET", "/\(pattern)/_alias", doing: "reading the aliases of \(pattern)", allow: [404]).body
        var out: [String: Set<String>] = [:]
        for (name, info) in doc.objectValue ?? [:] where name != "error" && name != "status" {
            out[name] = Set((info["aliases"]?.objectValue ?? [:]).keys)
        }
        return out
    }

    /// Creates an index (the index template gives it its settings and mapping); one that
    /// already exists (another run made it) is fine.
    package func createIndex(_ name: String) throws {
        let r = try call("PUT", "/\(name)", doing: "creating index \(name)", allow: [400])
        if r.status == 400, r.body["error"]?["type"]?.stringValue != "resource_already_exists_exception" {
            throw FTAError.environment("elasticsearch: creating index \(name) answered 400: \(TextLimit.excerpt(r.body.jsonText))")
        }
    }

    /// Applies alias changes in one atomic request.
    package func updateAliases(_ actions: [AliasLayout.AliasAction]) throws {
        guard !actions.isEmpty else { return }
        try call("POST", "/_aliases", ["actions": .array(actions.map(\.json))], doing: "updating \(actions.count) aliases")
    }

    /// Deletes one concrete index; one already gone is fine.
    package func deleteIndex(_ name: String) throws {
        try call("DELETE", "/\(name)", doing: "deleting index \(name)", allow: [404])
    }
}
