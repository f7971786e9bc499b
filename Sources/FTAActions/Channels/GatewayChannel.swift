import Foundation
import FTAConfig
import FTACore
import FTATemplates

/// Sends notices through an HTTP gateway described by ``GatewaySettings``.
package struct GatewayChannel: NoticeChannel {
    package let settings: GatewaySettings
    package var way: String { settings.way }

    package init(settings: GatewaySettings) { self.settings = settings }

    /// Header values that look like credentials, kept out of result messages.
    var redactor: Redactor {
        Redactor(secrets: settings.headers.filter { Redactor.isSecretName($0.0) || $0.0.lowercased().containsBytes("key") }
            .flatMap { h in [h.1] + h.1.split(separator: " ").map(String.init) })
    }

    package func send(_ message: NoticeMessage, worker: ChannelWorker) -> [String: NoticeResult] {
        let calls = self.calls(for: message, worker: worker)
        return results(calls, calls.map { call in call.request.map { worker.http.perform($0) } })
    }

    /// One gateway call of a send: the receivers it covers and its request, or the result known
    /// without sending (a template that fails, a URL refused).
    package struct Call: Sendable {
        package let receivers: [String]
        package let request: HTTPRequest?
        let known: NoticeResult?
        let target: String
    }

    /// The calls that send `message`: one for all its receivers, or one each (`per_receiver`).
    /// A pass hands their requests to its transfer loop and gives the answers to ``results``.
    package func calls(for message: NoticeMessage, worker: ChannelWorker) -> [Call] {
        let content = TextLimit.truncate(message.content, to: settings.maxLength)
        let groups = settings.perReceiver ? message.receivers.map { [$0] } : [message.receivers]
        return groups.enumerated().map { n, group in
            let key = message.idempotencyKey.map { groups.count > 1 ? "\($0)-\(n + 1)" : $0 }
            return call(group, title: message.title, content: content, idempotencyKey: key, worker: worker)
        }
    }

    /// Each receiver's result: `answers` holds, call by call, the transport's answer to the
    /// call's request (nil for a call without one).
    package func results(_ calls: [Call], _ answers: [Result<HTTPResponse, TransportError>?]) -> [String: NoticeResult] {
        let redactor = self.redactor
        var results: [String: NoticeResult] = [:]
        for (call, answer) in zip(calls, answers) {
            var result = call.known ?? answer.map { interpret($0, target: call.target) }
                ?? NoticeResult(ok: false, message: "\(way) gateway: no answer")
            result.message = redactor.redact(result.message)
            for r in call.receivers { results[r] = result }
        }
        return results
    }

    func call(_ receivers: [String], title: String, content: String, idempotencyKey: String? = nil, worker: ChannelWorker) -> Call {
        func known(_ result: NoticeResult) -> Call { Call(receivers: receivers, request: nil, known: result, target: "") }
        let context: JSONValue = [
            "receivers": .array(receivers.map { .string($0) }), "receiver": .string(receivers.first ?? ""),
            "title": .string(title), "content": .string(content), "way": .string(way),
        ]
        let body: String
        let target: String
        do {
            target = try worker.renderer.render(settings.url, field: "channels.\(way).url", context: TemplateRenderer.Context(context))
            if let bodyTemplate = settings.bodyTemplate {
                body = try worker.renderer.render(bodyTemplate, field: "channels.\(way).body", context: TemplateRenderer.Context(context))
            } else {
                body = JSONValue.object(["receivers": context["receivers"] ?? .emptyArray, "title": .string(title), "content": .string(content)]).jsonText
            }
        } catch {
            return known(NoticeResult(ok: false, message: "\(error)"))
        }
        if let why = WireCheck.url(target) {
            return known(NoticeResult(ok: false, message: "\(way) gateway: rendered channels.\(way).url \(why); not sent"))
        }
        var allHeaders = settings.headers
        if !allHeaders.contains(where: { $0.0.lowercased() == "content-type" }) { allHeaders.append(("Content-Type", settings.contentType)) }
        if let idempotencyKey, !allHeaders.contains(where: { $0.0.lowercased() == "idempotency-key" }) {
            allHeaders.append(("Idempotency-Key", idempotencyKey))
        }
        let request = HTTPRequest(method: settings.method, url: target, headers: allHeaders, body: Array(body.utf8), timeout: settings.timeout, verifyTLS: settings.verifyTLS)
        return Call(receivers: receivers, request: request, known: nil, target: target)
    }

    /// What the gateway's answer (or the transport's failure) means for the call's receivers.
    func interpret(_ answer: Result<HTTPResponse, TransportError>, target: String) -> NoticeResult {
        switch answer {
        case .failure(let e):
            return NoticeResult(ok: false, message: "\(way) gateway \(Redactor.safeURL(target)): \(e.message)")
        case .success(let response):
            let excerpt = TextLimit.excerpt(response.bodyText)
            guard (200..<300).contains(response.status) else {
                return NoticeResult(ok: false, message: "\(way) gateway answered \(response.status): \(excerpt)")
            }
            if let path = settings.successPath {
                let got = (try? JSONParser.parse(response.bodyText))?.value(at: path)
                guard let got, GatewayChannel.matches(got, settings.successValue ?? .bool(true)) else {
                    return NoticeResult(ok: false, message: "\(way) gateway refused the send (\(path) = \(got?.jsonText ?? "missing")): \(excerpt)")
                }
            }
            return NoticeResult(ok: true, message: excerpt)
        }
    }

    /// Numbers compare by value and strings by text, so `0` matches `"0"`.
    static func matches(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if a == b { return true }
        if let x = a.scalarText, let y = b.scalarText { return x == y }
        return false
    }
}
