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
    static let keptHeaderNames = ["retry-after", "content-type", "location"]
    static let keptHeaders: [[UInt8]] = keptHeaderNames.map { Array($0.utf8) }
    package var maxResponseBytes: Int
    package var userAgent: String

    /// `nil` only when libcurl cannot allocate a handle (out of memory).
    package init?(maxResponseBytes: Int = 1 << 20, userAgent: String = "fta") {
        guard let curl = CurlEasy() else { return nil }
        self.curl = curl
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
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

    /// Why `request` must not be sent with `userAgent`, or nil.
    static func refusal(_ request: HTTPRequest, userAgent: String) -> TransportError? {
        guard let why = HTTPClient.problem(request) ?? WireCheck.headerValue(userAgent).map({ "user agent \($0)" }) else { return nil }
        return TransportError(kind: .refused, message: "request not sent: \(why)")
    }

    package func perform(_ request: HTTPRequest) -> Result<HTTPResponse, TransportError> {
        if let refused = HTTPClient.refusal(request, userAgent: userAgent) { return .failure(refused) }
        let transfer = HTTPTransfer(curl: curl, request: request, userAgent: userAgent, maxResponseBytes: maxResponseBytes)
        return transfer.result(curl_easy_perform(handle))
    }
}

/// One request set up on an easy handle: the options, the header list, a copy of the body and
/// the sink for the response live as long as the transfer. The blocking client and the
/// multi-transfer loop both build requests here, so they send the same bytes.
final class HTTPTransfer {
    /// Per-request sink for the body and headers, reached from the C callbacks.
    final class Sink {
        var body: [UInt8] = []
        var limit: Int
        var headers: [String: String] = [:]
        init(limit: Int) { self.limit = limit }
    }

    let curl: CurlEasy
    private let sink: Sink
    private let sinkPointer: Unmanaged<Sink>
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var body: UnsafeMutableRawBufferPointer?

    init(curl: CurlEasy, request: HTTPRequest, userAgent: String, maxResponseBytes: Int) {
        self.curl = curl
        sink = Sink(limit: maxResponseBytes)
        sinkPointer = Unmanaged.passRetained(sink)
        let handle = curl.handle
        if curl.httpUserAgent == userAgent {
            // The handle's last transfer was HTTP too: its fixed options stand, and below every
            // option a request sets is given a value, so nothing of that transfer carries over
            // (libcurl keeps an option until it is set again). Resetting and setting the fixed
            // ones again cost about a third of a transfer's set-up (BENCHMARKS.md "Eighth round").
            curl.renew(timeout: request.timeout, verifyTLS: request.verifyTLS)
        } else {
            curl.reset(protocols: "http,https", timeout: request.timeout, verifyTLS: request.verifyTLS)
            ccurl_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
            ccurl_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
            ccurl_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, HTTPTransfer.receiveBody)
            ccurl_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, HTTPTransfer.receiveHeader)
            curl.httpUserAgent = userAgent
        }

        ccurl_setopt_string(handle, CURLOPT_URL, request.url)
        ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer.toOpaque())
        ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, sinkPointer.toOpaque())

        var sawExpect = false
        for (name, value) in request.headers {
            if HTTPTransfer.isExpect(name) { sawExpect = true }
            headerList = HTTPTransfer.append(headerList, name, value)
        }
        // Never wait for "100 Continue" before sending a body.
        if !sawExpect { headerList = curl_slist_append(headerList, "Expect:") }
        ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)

        // Every method option, in an order that leaves no trace of the previous request's:
        // libcurl makes a request with post fields a POST, so they are cleared before GET and
        // HEAD are chosen, and a custom method is cleared unless this request names one.
        let method = request.method.uppercased()
        ccurl_setopt_pointer(handle, CURLOPT_CUSTOMREQUEST, nil)
        switch method {
        case "GET" where request.body.isEmpty, "HEAD":
            ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil)
            ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, -1)
            ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
            ccurl_setopt_long(handle, CURLOPT_NOBODY, method == "HEAD" ? 1 : 0)
        default:
            ccurl_setopt_long(handle, CURLOPT_NOBODY, 0)
            ccurl_setopt_long(handle, CURLOPT_POST, 1)
            ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            if request.body.isEmpty {
                ccurl_setopt_string(handle, CURLOPT_POSTFIELDS, "")
            } else {
                // libcurl reads the body while the transfer runs: a copy that lives as long as it.
                let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: request.body.count, alignment: 1)
                copy.copyBytes(from: request.body)
                body = copy
                ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, copy.baseAddress)
            }
            if method != "POST" { ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method) }
        }
    }

    /// `name` is "Expect", in any case.
    static func isExpect(_ name: String) -> Bool {
        var n = name
        return n.withUTF8 { b in
            b.count == 6 && zip(b, "expect".utf8).allSatisfy { $0 | 0x20 == $1 }
        }
    }

    /// `list` with the header line "name: value" appended, built in one buffer.
    static func append(_ list: UnsafeMutablePointer<curl_slist>?, _ name: String, _ value: String) -> UnsafeMutablePointer<curl_slist>? {
        var name = name, value = value
        return name.withUTF8 { n in
            value.withUTF8 { v in
                let line = UnsafeMutablePointer<CChar>.allocate(capacity: n.count + v.count + 3)
                defer { line.deallocate() }
                let raw = UnsafeMutableRawPointer(line)
                if let b = n.baseAddress { raw.copyMemory(from: b, byteCount: n.count) }
                raw.storeBytes(of: UInt8(ascii: ":"), toByteOffset: n.count, as: UInt8.self)
                raw.storeBytes(of: UInt8(ascii: " "), toByteOffset: n.count + 1, as: UInt8.self)
                if let b = v.baseAddress { (raw + n.count + 2).copyMemory(from: b, byteCount: v.count) }
                raw.storeBytes(of: 0, toByteOffset: n.count + v.count + 2, as: UInt8.self)
                return curl_slist_append(list, line)
            }
        }
    }

    /// libcurl's body callback: keeps up to the sink's limit and reads (discards) the rest.
    static let receiveBody: curl_write_callback = { data, size, count, user in
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

    /// libcurl's header callback: only the headers fta acts on are kept; the rest are skipped
    /// without building strings.
    static let receiveHeader: curl_write_callback = { data, size, count, user in
        guard let data, let user else { return 0 }
        let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
        let n = size * count
        data.withMemoryRebound(to: UInt8.self, capacity: n) { p in
            let line = UnsafeBufferPointer(start: p, count: n)
            if n > 5, line[0] == UInt8(ascii: "H"), line[1] == UInt8(ascii: "T") { sink.headers.removeAll(); return }
            for (k, name) in HTTPClient.keptHeaders.enumerated() where n > name.count && line[name.count] == UInt8(ascii: ":") {
                var i = 0
                while i < name.count && line[i] | 0x20 == name[i] { i += 1 }
                guard i == name.count else { continue }
                // The value without the optional white space around it (RFC 9110 §5.6.3) and the line end.
                var start = name.count + 1, end = n
                func blank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }
                while start < end && blank(line[start]) { start += 1 }
                while end > start && blank(line[end - 1]) { end -= 1 }
                sink.headers[HTTPClient.keptHeaderNames[k]] = String(decoding: UnsafeBufferPointer(rebasing: line[start..<end]), as: UTF8.self)
            }
        }
        return n
    }

    deinit {
        curl_slist_free_all(headerList)
        body?.deallocate()
        sinkPointer.release()
    }

    /// The response once libcurl has finished the transfer with `code`.
    func result(_ code: CURLcode) -> Result<HTTPResponse, TransportError> {
        guard code == CURLE_OK else { return .failure(curl.error(code)) }
        var status = 0
        ccurl_getinfo_long(curl.handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: sink.headers, body: sink.body))
    }
}
