import CCurl
import Foundation
import FTACore

/// A reusable libcurl easy handle. Reusing it keeps the TCP/TLS connection alive between
/// requests to the same host (about twice the throughput of a new handle per request).
/// Not thread-safe: one client per worker thread.
package final class HTTPClient: HTTPTransport {
    private let curl: CurlEasy
    private var handle: UnsafeMutableRawPointer { curl.handle }
    /// Response headers kept in ``HTTPResponse/headers`` (lower-case).
    static let keptHeaders: [[UInt8]] = ["retry-after", "content-type", "location"].map { Array($0.utf8) }
    package var maxResponseBytes: Int
    package var userAgent: String

    /// `nil` only when libcurl cannot allocate a handle (out of memory).
    package init?(maxResponseBytes: Int = 1 << 20, userAgent: String = "fta") {
        guard let curl = CurlEasy() else { return nil }
        self.curl = curl
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
    }

    /// Per-request sink for the body and headers, reached from the C callbacks.
    private final class Sink {
        var body: [UInt8] = []
        var limit: Int
        var headers: [String: String] = [:]
        init(limit: Int) { self.limit = limit }
    }

    /// Why `request` must not be sent (a control character in its URL or a header), or nil.
    /// Every sender checks what it rendered and names the field; this is the last line.
    package static func problem(_ request: HTTPRequest) -> String? {
        if let why = WireCheck.url(request.url) { return "url \(why)" }
        for (name, value) in request.headers {
            if let why = WireCheck.headerName(name) { return "header name \(why)" }
            if let why = WireCheck.headerValue(value) { return "header \(name) value \(why)" }
        }
        return nil
    }

    package func perform(_ request: HTTPRequest) -> Result<HTTPResponse, TransportError> {
        if let why = HTTPClient.problem(request) ?? WireCheck.headerValue(userAgent).map({ "user agent \($0)" }) {
            return .failure(TransportError(kind: .refused, message: "request not sent: \(why)"))
        }
        curl.reset(protocols: "http,https", timeout: request.timeout, verifyTLS: request.verifyTLS)
        let sink = Sink(limit: maxResponseBytes)
        let sinkPointer = Unmanaged.passRetained(sink)
        defer { sinkPointer.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        ccurl_setopt_string(handle, CURLOPT_URL, request.url)
        ccurl_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
        ccurl_setopt_string(handle, CURLOPT_USERAGENT, userAgent)

        ccurl_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            guard let data, let user else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
            let n = size * count
            let room = sink.limit - sink.body.count
            if room > 0 {
                data.withMemoryRebound(to: UInt8.self, capacity: n) { p in
                    sink.body.append(contentsOf: UnsafeBufferPointer(start: p, count: min(n, room)))
                }
            }
            return n
        }
        ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer.toOpaque())
        ccurl_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, user in
            guard let data, let user else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
            let n = size * count
            // Only the headers fta acts on are kept; the rest are skipped without building strings.
            data.withMemoryRebound(to: UInt8.self, capacity: n) { p in
                let line = UnsafeBufferPointer(start: p, count: n)
                if n > 5, line[0] == UInt8(ascii: "H"), line[1] == UInt8(ascii: "T") { sink.headers.removeAll(); return }
                for name in HTTPClient.keptHeaders where n > name.count && line[name.count] == UInt8(ascii: ":") {
                    var match = true
                    for (i, c) in name.enumerated() where line[i] | 0x20 != c { match = false; break }
                    guard match else { continue }
                    let value = String(decoding: UnsafeBufferPointer(rebasing: line[(name.count + 1)...]), as: UTF8.self)
                    sink.headers[String(decoding: name, as: UTF8.self)] = value.trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            return n
        }
        ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, sinkPointer.toOpaque())

        var sawExpect = false
        for (name, value) in request.headers {
            if name.lowercased() == "expect" { sawExpect = true }
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // Never wait for "100 Continue" before sending a body.
        if !sawExpect { headerList = curl_slist_append(headerList, "Expect:") }
        ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)

        let method = request.method.uppercased()
        let code: CURLcode = request.body.withUnsafeBufferPointer { body in
            switch method {
            case "GET" where request.body.isEmpty:
                ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
            case "HEAD":
                ccurl_setopt_long(handle, CURLOPT_NOBODY, 1)
            default:
                ccurl_setopt_long(handle, CURLOPT_POST, 1)
                ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                if let start = body.baseAddress {
                    ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: start))
                } else {
                    ccurl_setopt_string(handle, CURLOPT_POSTFIELDS, "")
                }
                if method != "POST" { ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method) }
            }
            return curl_easy_perform(handle)
        }
        guard code == CURLE_OK else { return .failure(curl.error(code)) }
        var status = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: sink.headers, body: sink.body))
    }
}
