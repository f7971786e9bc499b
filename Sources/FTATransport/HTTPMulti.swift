import CCurl
import Foundation
import FTACore

/// Many HTTP requests in flight on one thread: a libcurl multi handle waits on all their sockets
/// at once and finishes whichever answer, so a pass sending thousands of webhooks neither parks
/// a thread per request nor wakes one per response (docs/decisions.md "Pass throughput").
///
/// `submit` may be called from any thread; completions run on the transfer thread, in the order
/// the transfers finish, and must not block. Requests are built exactly as ``HTTPClient`` builds
/// them (``HTTPTransfer``); connections are kept alive in the multi handle's shared cache.
/// ``shutdown()`` finishes what is in flight and stops the thread.
package final class HTTPMulti: AsyncHTTPTransport, @unchecked Sendable {
    typealias Completion = (Result<HTTPResponse, TransportError>) -> Void

    private let multi: UnsafeMutableRawPointer
    private let maxResponseBytes: Int
    private let userAgent: String
    private let lock = NSLock()
    // Guarded by `lock`.
    private var incoming: [(HTTPRequest, Completion)] = []
    private var stopping = false
    /// The transfer thread is (about to be) waiting in `curl_multi_poll` and has not been woken:
    /// only then does `submit` write to its wake-up socket (one write per batch, not per request).
    private var sleeping = false
    // Touched only by the transfer thread.
    private var active: [UnsafeMutableRawPointer: (HTTPTransfer, Completion)] = [:]
    private var idle: [CurlEasy] = []
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    /// `nil` when libcurl cannot allocate a multi handle (out of memory). `connections` bounds
    /// the connections kept open for reuse.
    package init?(maxResponseBytes: Int = 1 << 20, userAgent: String = "fta", connections: Int = 32) {
        _ = CurlEasy.globalInit
        guard let m = curl_multi_init() else { return nil }
        multi = m
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
        ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(4, connections))
    }

    deinit {
        curl_multi_cleanup(multi)
    }

    package func submit(_ request: HTTPRequest, completion: @escaping (Result<HTTPResponse, TransportError>) -> Void) {
        if let refused = HTTPClient.refusal(request, userAgent: userAgent) {
            completion(.failure(refused))
            return
        }
        lock.lock()
        let refusedAfterStop = stopping
        var wake = false
        if !refusedAfterStop {
            incoming.append((request, completion))
            wake = sleeping
            sleeping = false
            if !started {
                started = true
                let thread = Thread { [self] in loop() }
                thread.stackSize = 1 << 20
                thread.name = "fta-http"
                thread.start()
            }
        }
        lock.unlock()
        if refusedAfterStop {
            completion(.failure(TransportError(kind: .refused, message: "request not sent: the pass is stopping")))
            return
        }
        if wake { curl_multi_wakeup(multi) }
    }

    /// Lets every submitted transfer finish, then stops the transfer thread.
    package func shutdown() {
        lock.lock()
        stopping = true
        let running = started
        lock.unlock()
        guard running else { return }
        curl_multi_wakeup(multi)
        finished.wait()
    }

    private func loop() {
        var done: [(Completion, Result<HTTPResponse, TransportError>)] = []
        while true {
            lock.lock()
            let batch = incoming
            incoming.removeAll(keepingCapacity: true)
            let stop = stopping
            lock.unlock()
            for (request, completion) in batch { start(request, completion) }
            if stop && batch.isEmpty && active.isEmpty { break }

            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                guard let (transfer, completion) = active.removeValue(forKey: easy) else { continue }
                done.append((completion, transfer.result(code)))
                idle.append(transfer.curl)
            }
            // Completions run after the socket work, outside any lock.
            for (completion, result) in done { completion(result) }
            done.removeAll(keepingCapacity: true)
            // Returns at once when a socket is ready or `submit`/`shutdown` woke it meanwhile.
            lock.lock()
            let more = !incoming.isEmpty || stopping
            sleeping = !more
            lock.unlock()
            if !more { curl_multi_poll(multi, nil, 0, 1000, nil) }
            lock.lock()
            sleeping = false
            lock.unlock()
        }
        finished.signal()
    }

    private func start(_ request: HTTPRequest, _ completion: @escaping Completion) {
        guard let curl = idle.popLast() ?? CurlEasy() else {
            completion(.failure(TransportError(kind: .other, message: "no HTTP handle could be allocated")))
            return
        }
        let transfer = HTTPTransfer(curl: curl, request: request, userAgent: userAgent, maxResponseBytes: maxResponseBytes)
        let code = curl_multi_add_handle(multi, curl.handle)
        guard code == CURLM_OK else {
            idle.append(curl)
            completion(.failure(TransportError(kind: .other, message: String(cString: curl_multi_strerror(code)))))
            return
        }
        active[curl.handle] = (transfer, completion)
    }
}
