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
/// At most `maxInFlight` transfers run at once; the requests submitted beyond that wait in
/// order and can be taken back unsent (``withdraw()``). ``shutdown()`` finishes what was
/// submitted and stops the thread.
package final class HTTPMulti: AsyncHTTPTransport, @unchecked Sendable {
    /// The result and when the transfer started (`DispatchTime` uptime nanoseconds): a request
    /// may wait for a place first, and its duration is counted from the start.
    package typealias Completion = (Result<HTTPResponse, TransportError>, UInt64) -> Void

    private let multi: UnsafeMutableRawPointer
    private let maxResponseBytes: Int
    private let userAgent: String
    private let lock = NSLock()
    // Guarded by `lock`.
    /// Submitted and not started, in order (from `incomingHead`); the loop starts them while
    /// fewer than `maxInFlight` transfers run, and ``withdraw()`` takes them back.
    private var incoming: [(request: HTTPRequest, tag: Int64?, completion: Completion)] = []
    private var incomingHead = 0
    /// Transfers started and not finished.
    private var inFlight = 0
    private var stopping = false
    /// The transfer thread is (about to be) waiting in `curl_multi_poll` and has not been woken:
    /// only then does `submit` write to its wake-up socket (one write per batch, not per request),
    /// and only when the request can start.
    private var sleeping = false
    // Touched only by the transfer thread.
    private var active: [UnsafeMutableRawPointer: (transfer: HTTPTransfer, completion: Completion, started: UInt64)] = [:]
    private var idle: [CurlEasy] = []
    /// Transfers running at once; more may be submitted, and wait (see ``init``).
    private let maxInFlight: Int
    private let finished = DispatchSemaphore(value: 0)
    private var started = false
    /// Runs on the transfer thread after each round of completions, before it waits again (a
    /// pass decides there whether to wake a thread to prepare more requests). Set it before the
    /// first ``submit``.
    package var refill: (() -> Void)?

    /// `nil` when libcurl cannot allocate a multi handle (out of memory). `connections` bounds
    /// the connections kept open for reuse; `maxInFlight` the transfers running at once, the
    /// requests submitted beyond it waiting in submission order (a pass prepares requests
    /// ahead, so that a finished transfer is followed at once by the next).
    package init?(maxResponseBytes: Int = 1 << 20, userAgent: String = "fta", connections: Int = 32, maxInFlight: Int = .max) {
        _ = CurlEasy.globalInit
        guard let m = curl_multi_init() else { return nil }
        multi = m
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
        self.maxInFlight = max(1, maxInFlight)
        ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(4, connections))
    }

    deinit {
        curl_multi_cleanup(multi)
    }

    package func submit(_ request: HTTPRequest, completion: @escaping (Result<HTTPResponse, TransportError>) -> Void) {
        submit(request, tag: 0) { result, _ in completion(result) }
    }

    /// Sends `request`; `completion` runs on the transfer thread when it has finished, unless
    /// the request is withdrawn before it started (``withdraw()`` returns its `tag` then). A
    /// request without a tag is never withdrawn: it is sent and completes.
    package func submit(_ request: HTTPRequest, tag: Int64?, completion: @escaping Completion) {
        if let refused = HTTPClient.refusal(request, userAgent: userAgent) {
            completion(.failure(refused), DispatchTime.now().uptimeNanoseconds)
            return
        }
        lock.lock()
        let refusedAfterStop = stopping
        var wake = false
        if !refusedAfterStop {
            incoming.append((request, tag, completion))
            if sleeping && inFlight < maxInFlight {
                wake = true
                sleeping = false
            }
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
            completion(.failure(TransportError(kind: .refused, message: "request not sent: the pass is stopping")), DispatchTime.now().uptimeNanoseconds)
            return
        }
        if wake { curl_multi_wakeup(multi) }
    }

    /// Takes back every request submitted with a tag and not yet started: their completions
    /// will not run. Returns their tags, in submission order (a pass that must stop gives those
    /// actions back instead of sending them). Requests without a tag stay, in order, and are sent.
    package func withdraw() -> [Int64] {
        lock.lock()
        defer { lock.unlock() }
        let waiting = incoming[incomingHead...]
        let tags = waiting.compactMap(\.tag)
        incoming = waiting.filter { $0.tag == nil }
        incomingHead = 0
        return tags
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
        var done: [(completion: Completion, result: Result<HTTPResponse, TransportError>, started: UInt64)] = []
        var batch: [(request: HTTPRequest, tag: Int64?, completion: Completion)] = []
        while true {
            // The requests that may start now: as many as there is room for.
            lock.lock()
            let room = maxInFlight - active.count
            if room > 0 && incomingHead < incoming.count {
                let end = incomingHead + min(room, incoming.count - incomingHead)
                batch.append(contentsOf: incoming[incomingHead..<end])
                incomingHead = end
                if incomingHead == incoming.count {
                    incoming.removeAll(keepingCapacity: true)
                    incomingHead = 0
                } else if incomingHead > 1024 && incomingHead * 2 > incoming.count {
                    incoming.removeFirst(incomingHead)
                    incomingHead = 0
                }
            }
            inFlight = active.count + batch.count
            let waitingToStart = incoming.count - incomingHead
            let stop = stopping
            lock.unlock()
            // A request that cannot start fails in this round, with the finished ones.
            for item in batch {
                if let failed = start(item.request, item.completion) { done.append((item.completion, .failure(failed.error), failed.started)) }
            }
            let startedNow = !batch.isEmpty
            batch.removeAll(keepingCapacity: true)
            if stop && !startedNow && active.isEmpty && waitingToStart == 0 { break }

            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                guard let (transfer, completion, started) = active.removeValue(forKey: easy) else { continue }
                done.append((completion, transfer.result(code), started))
                idle.append(transfer.curl)
            }
            // Completions run after the socket work, outside any lock.
            for (completion, result, started) in done { completion(result, started) }
            if !done.isEmpty { refill?() }
            done.removeAll(keepingCapacity: true)
            // Waits unless a request can start (or everything is done while stopping); returns
            // at once when a socket is ready or `submit`/`shutdown` woke it meanwhile.
            lock.lock()
            let canStart = active.count < maxInFlight && incomingHead < incoming.count
            let more = canStart || (stopping && active.isEmpty)
            inFlight = active.count
            sleeping = !more
            lock.unlock()
            if !more { curl_multi_poll(multi, nil, 0, 1000, nil) }
            lock.lock()
            sleeping = false
            lock.unlock()
        }
        finished.signal()
    }

    /// Starts a transfer; nil, or why it could not start (its completion has not run).
    private func start(_ request: HTTPRequest, _ completion: @escaping Completion) -> (error: TransportError, started: UInt64)? {
        let started = DispatchTime.now().uptimeNanoseconds
        guard let curl = idle.popLast() ?? CurlEasy() else {
            return (TransportError(kind: .other, message: "no HTTP handle could be allocated"), started)
        }
        let transfer = HTTPTransfer(curl: curl, request: request, userAgent: userAgent, maxResponseBytes: maxResponseBytes)
        let code = curl_multi_add_handle(multi, curl.handle)
        guard code == CURLM_OK else {
            idle.append(curl)
            return (TransportError(kind: .other, message: String(cString: curl_multi_strerror(code))), started)
        }
        active[curl.handle] = (transfer, completion, started)
        return nil
    }
}
