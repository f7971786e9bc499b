import CCurl
import FTACore

/// A libcurl easy handle with its error buffer: what the HTTP and SMTP clients share.
/// Reusing one keeps its connections alive between transfers. Not thread-safe.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// The user agent the handle's fixed HTTP options were last set with (``HTTPTransfer``);
    /// nil after ``reset(protocols:timeout:verifyTLS:)``, i.e. before the handle's first HTTP
    /// transfer and after any other use of it.
    var httpUserAgent: String?

    /// `nil` only when libcurl cannot allocate a handle (out of memory).
    init?() {
        _ = CurlEasy.globalInit
        guard let h = curl_easy_init() else { return nil }
        handle = h
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Clears the previous transfer's options (live connections stay) and sets the ones every
    /// transfer needs: no signals, the error buffer, timeouts, TLS verification.
    func reset(protocols: String, timeout: Double, verifyTLS: Bool) {
        curl_easy_reset(handle)
        httpUserAgent = nil
        ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, protocols)
        renew(timeout: timeout, verifyTLS: verifyTLS)
    }

    /// Sets what every transfer gives anew without resetting the handle: an empty error
    /// message, the timeouts, TLS verification.
    func renew(timeout: Double, verifyTLS: Bool) {
        errorBuffer[0] = 0
        let timeoutMs = max(1, Int(timeout * 1000))
        ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMs)
        ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMs, 10_000))
        ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, verifyTLS ? 1 : 0)
        ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, verifyTLS ? 2 : 0)
    }

    /// A failed transfer as a ``TransportError``: libcurl's detailed message when it gave one.
    func error(_ code: CURLcode) -> TransportError {
        let detail = String(cString: errorBuffer)
        let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let kind: TransportError.Kind
        switch code {
        case CURLE_OPERATION_TIMEDOUT: kind = .timeout
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .connect
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_USE_SSL_FAILED:
            kind = .tls
        default: kind = .other
        }
        return TransportError(kind: kind, message: text)
    }
}
