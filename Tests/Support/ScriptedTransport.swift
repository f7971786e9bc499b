import FTACore

/// An ``HTTPTransport`` that answers from a script and keeps every request it was given, so a
/// processor can be unit-tested without a server: the test says what the far end answers and
/// checks what was sent.
package final class ScriptedTransport: HTTPTransport {
    /// One answer: a response, or a transport failure.
    package enum Answer {
        case respond(Int, body: String = "", headers: [String: String] = [:])
        case fail(TransportError.Kind, String)
    }

    package private(set) var requests: [HTTPRequest] = []
    private var answers: [Answer]
    /// Given when the script has run out.
    private let fallback: Answer

    package init(_ answers: [Answer], otherwise fallback: Answer = .respond(200)) {
        self.answers = answers
        self.fallback = fallback
    }

    package func perform(_ request: HTTPRequest) -> Result<HTTPResponse, TransportError> {
        requests.append(request)
        let answer = answers.isEmpty ? fallback : answers.removeFirst()
        switch answer {
        case .respond(let status, let body, let headers):
            var lowered: [String: String] = [:]
            for (k, v) in headers { lowered[k.lowercased()] = v }
            return .success(HTTPResponse(status: status, headers: lowered, body: Array(body.utf8)))
        case .fail(let kind, let message):
            return .failure(TransportError(kind: kind, message: message))
        }
    }
}
