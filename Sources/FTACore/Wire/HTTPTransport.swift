/// Sends one HTTP request and returns the response or why there is none. The processors and
/// notice channels depend on this, not on libcurl: the live client is `HTTPClient`
/// (FTATransport), and unit tests hand a processor a scripted transport instead of a server.
///
/// One transport serves one worker thread at a time.
package protocol HTTPTransport: AnyObject {
    func perform(_ request: HTTPRequest) -> Result<HTTPResponse, TransportError>
}
