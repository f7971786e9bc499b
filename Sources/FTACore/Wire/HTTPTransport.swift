/// Sends one HTTP request and returns the response or why there is none. The processors and
/// notice channels depend on this, not on libcurl: the live client is `HTTPClient`
/// (FTATransport), and unit tests hand a processor a scripted transport instead of a server.
///
/// One transport serves one worker thread at a time.
package protocol HTTPTransport: AnyObject {
    func perform(_ request: HTTPRequest) -> Result<HTTPResponse, TransportError>
}

/// Sends requests without holding the caller's thread: `submit` returns at once and
/// `completion` runs later on the transport's own thread (never on the caller's). Many
/// requests may be in flight; the live one (`HTTPMulti`, FTATransport) drives them all from
/// one thread, so a pass does not park a thread per webhook.
package protocol AsyncHTTPTransport: AnyObject {
    func submit(_ request: HTTPRequest, completion: @escaping (Result<HTTPResponse, TransportError>) -> Void)
}
