import Foundation
import FTACore
import FTATestSupport
import FTATransport
import XCTest

/// The transfer loop a pass sends webhooks through: many requests in flight on one thread,
/// against the test receiver on 127.0.0.1.
final class HTTPMultiTests: XCTestCase {
    private var receiver: Receiver!

    override func setUpWithError() throws {
        receiver = try Receiver()
    }

    override func tearDown() {
        receiver?.stop()
        receiver = nil
    }

    /// Submits `requests` and waits for every completion; results in submission order, with
    /// the order in which they completed.
    private func run(_ multi: HTTPMulti, _ requests: [HTTPRequest]) -> (results: [Result<HTTPResponse, TransportError>], order: [Int]) {
        let lock = NSLock()
        var results = [Result<HTTPResponse, TransportError>?](repeating: nil, count: requests.count)
        var order: [Int] = []
        let group = DispatchGroup()
        for (i, request) in requests.enumerated() {
            group.enter()
            multi.submit(request) { result in
                lock.lock()
                results[i] = result
                order.append(i)
                lock.unlock()
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success, "every transfer completes")
        return (results.map { $0 ?? .failure(TransportError(kind: .other, message: "never completed")) }, order)
    }

    func testManyRequestsInFlight_eachArrivesOnce_withItsBodyAndHeaders() throws {
        let multi = try XCTUnwrap(HTTPMulti(userAgent: "fta-test"))
        defer { multi.shutdown() }
        let requests = (0..<60).map { i in
            HTTPRequest(method: "POST", url: "\(receiver.baseURL)/hook?n=\(i)", headers: [("Content-Type", "application/json"), ("X-N", "\(i)")],
                        body: Array("{\"n\": \(i)}".utf8), timeout: 10)
        }
        let (results, _) = run(multi, requests)
        for (i, result) in results.enumerated() {
            guard case .success(let response) = result else { return XCTFail("request \(i): \(result)") }
            XCTAssertEqual(response.status, 200)
        }
        let seen = try receiver.requests()
        XCTAssertEqual(seen.count, 60)
        var bodies = Set<String>()
        for r in seen {
            let n = try XCTUnwrap(r["headers"]?["x-n"]?.stringValue)
            XCTAssertEqual(r["body"]?.stringValue, "{\"n\": \(n)}")
            XCTAssertEqual(r["query"]?.stringValue, "n=\(n)")
            XCTAssertEqual(r["headers"]?["user-agent"]?.stringValue, "fta-test")
            XCTAssertEqual(r["method"]?.stringValue, "POST")
            bodies.insert(n)
        }
        XCTAssertEqual(bodies.count, 60, "no request sent twice or lost")
    }

    func testSameRequestAsTheBlockingClient() throws {
        let multi = try XCTUnwrap(HTTPMulti(userAgent: "fta-x"))
        defer { multi.shutdown() }
        let blocking = try XCTUnwrap(HTTPClient(userAgent: "fta-x"))
        for method in ["POST", "PUT", "GET", "DELETE"] {
            let request = HTTPRequest(method: method, url: "\(receiver.baseURL)/same", headers: [("Authorization", "Bearer t"), ("X-A", "1")],
                                      body: method == "GET" ? [] : Array("payload".utf8), timeout: 10)
            _ = blocking.perform(request)
            _ = run(multi, [request])
        }
        let seen = try receiver.requests()
        XCTAssertEqual(seen.count, 8)
        for pair in stride(from: 0, to: 8, by: 2) {
            XCTAssertEqual(seen[pair]["method"], seen[pair + 1]["method"])
            XCTAssertEqual(seen[pair]["body"], seen[pair + 1]["body"])
            XCTAssertEqual(seen[pair]["headers"], seen[pair + 1]["headers"], "the same headers from both clients")
        }
    }

    /// A handle is not reset between HTTP transfers (only what a request sets is set again):
    /// nothing of one request may carry over into the next one on the same handle.
    func testOneHandle_manyMethodsInTurn_eachRequestIsOnlyItself() throws {
        let client = try XCTUnwrap(HTTPClient(userAgent: "fta-reuse"))
        let multi = try XCTUnwrap(HTTPMulti(userAgent: "fta-reuse", connections: 4))
        defer { multi.shutdown() }
        let steps: [(method: String, body: String, headers: [(String, String)])] = [
            ("PUT", "first", [("X-Only-First", "1"), ("Content-Type", "text/plain")]),
            ("GET", "", []),
            ("HEAD", "", [("X-Head", "h")]),
            ("POST", "{\"b\": 2}", [("Content-Type", "application/json")]),
            ("GET", "", [("Expect", "")]),
            ("DELETE", "", []),
            ("POST", "", []),
            ("PATCH", "patched", []),
            ("GET", "", []),
        ]
        for (i, step) in steps.enumerated() {
            let request = HTTPRequest(method: step.method, url: "\(receiver.baseURL)/r\(i)", headers: step.headers,
                                      body: Array(step.body.utf8), timeout: 10)
            guard case .success(let blocking) = client.perform(request) else { return XCTFail("step \(i) (blocking)") }
            XCTAssertEqual(blocking.status, 200)
            // One connection for the loop too, so its handles are reused the same way.
            guard case .success(let looped) = run(multi, [request]).results[0] else { return XCTFail("step \(i) (loop)") }
            XCTAssertEqual(looped.status, 200)
        }
        let seen = try receiver.requests()
        XCTAssertEqual(seen.count, steps.count * 2)
        for (n, r) in seen.enumerated() {
            let step = steps[n / 2]
            let what = "request \(n) (\(step.method))"
            XCTAssertEqual(r["method"]?.stringValue, step.method, what)
            XCTAssertEqual(r["path"]?.stringValue, "/r\(n / 2)", what)
            XCTAssertEqual(r["body"]?.stringValue, step.body, what)
            let headers = r["headers"]?.objectValue ?? [:]
            XCTAssertEqual(headers["x-only-first"] != nil, n / 2 == 0, "\(what): a header of the first request only")
            XCTAssertEqual(headers["x-head"] != nil, step.method == "HEAD", what)
            XCTAssertEqual(headers["user-agent"]?.stringValue, "fta-reuse", what)
            XCTAssertNil(headers["expect"], what)
            if ["GET", "HEAD"].contains(step.method) {
                XCTAssertNil(headers["content-length"], "\(what): no body, not even an empty one")
            } else {
                XCTAssertEqual(headers["content-length"]?.stringValue, "\(step.body.utf8.count)", what)
            }
        }
    }

    func testMaxInFlight_holdsTheRest_andStartsEachAsAnotherFinishes() throws {
        try receiver.script(path: "/slow", delay: 0.3)
        let multi = try XCTUnwrap(HTTPMulti(connections: 4, maxInFlight: 2))
        defer { multi.shutdown() }
        let requests = (0..<6).map { HTTPRequest(method: "POST", url: "\(receiver.baseURL)/slow", body: Array("n\($0)".utf8), timeout: 10) }
        let (results, _) = run(multi, requests)
        for r in results {
            guard case .success(let response) = r else { return XCTFail("\(r)") }
            XCTAssertEqual(response.status, 200)
        }
        let seen = try receiver.requests()
        XCTAssertEqual(Set(seen.compactMap { $0["body"]?.stringValue }), Set((0..<6).map { "n\($0)" }), "each sent once")
        // Two at a time against a receiver that takes 0.3 s: the third arrives only after one of
        // the first two was answered, the fifth after two rounds.
        let times = seen.compactMap { $0["time"]?.doubleValue }.sorted()
        XCTAssertEqual(times.count, 6)
        XCTAssertGreaterThanOrEqual(times[2] - times[0], 0.25, "\(times)")
        XCTAssertGreaterThanOrEqual(times[4] - times[0], 0.5, "\(times)")
    }

    func testARequestThatWaitedForAPlace_isTimedFromItsStart() throws {
        try receiver.script(path: "/slow", delay: 0.4)
        let multi = try XCTUnwrap(HTTPMulti(connections: 2, maxInFlight: 1))
        defer { multi.shutdown() }
        let lock = NSLock()
        var starts: [Int64: UInt64] = [:]
        let group = DispatchGroup()
        let submitted = DispatchTime.now().uptimeNanoseconds
        for i in 1...2 {
            group.enter()
            multi.submit(HTTPRequest(method: "POST", url: "\(receiver.baseURL)/slow", body: [], timeout: 10), tag: Int64(i)) { result, started in
                lock.lock(); starts[Int64(i)] = started; lock.unlock()
                if case .failure(let e) = result { XCTFail("\(e)") }
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        let first = try XCTUnwrap(starts[1]), second = try XCTUnwrap(starts[2])
        XCTAssertLessThan(first - submitted, 300_000_000, "the first starts at once")
        XCTAssertGreaterThanOrEqual(second - first, 350_000_000, "the second starts when the first is answered, and is timed from then")
    }

    func testWithdraw_takesBackWhatHasNotStarted_whoseCompletionsNeverRun() throws {
        try receiver.script(path: "/slow", delay: 0.5)
        let multi = try XCTUnwrap(HTTPMulti(connections: 4, maxInFlight: 1))
        let lock = NSLock()
        var completed: [Int] = []
        for i in 1...4 {
            multi.submit(HTTPRequest(method: "POST", url: "\(receiver.baseURL)/slow", body: Array("n\(i)".utf8), timeout: 10), tag: Int64(i)) { _, _ in
                lock.lock(); completed.append(i); lock.unlock()
            }
        }
        let deadline = Date().addingTimeInterval(10)
        while try receiver.requests().isEmpty && Date() < deadline { usleep(10_000) }
        // The first is being answered (0.5 s); the other three wait for its place.
        XCTAssertEqual(multi.withdraw(), [2, 3, 4])
        multi.shutdown()
        XCTAssertEqual(completed, [1], "only the request that was sent completes")
        XCTAssertEqual(try receiver.requests().compactMap { $0["body"]?.stringValue }, ["n1"], "the others were never sent")
        XCTAssertEqual(multi.withdraw(), [], "nothing is left to take back")
    }

    /// A request submitted without a tag (a notice the gate has admitted) is never taken back:
    /// a withdraw returns only the tagged ones, and the untagged are still sent, in order.
    func testWithdraw_leavesUntaggedRequests_whichAreSentInOrder() throws {
        try receiver.script(path: "/slow", delay: 0.5)
        let multi = try XCTUnwrap(HTTPMulti(connections: 4, maxInFlight: 1))
        let lock = NSLock()
        var completed: [Int] = []
        for i in 1...5 {
            let tag: Int64? = i % 2 == 0 ? nil : Int64(i)
            multi.submit(HTTPRequest(method: "POST", url: "\(receiver.baseURL)/slow", body: Array("n\(i)".utf8), timeout: 10), tag: tag) { _, _ in
                lock.lock(); completed.append(i); lock.unlock()
            }
        }
        let deadline = Date().addingTimeInterval(10)
        while try receiver.requests().isEmpty && Date() < deadline { usleep(10_000) }
        // The first is being answered; of the four waiting, 3 and 5 are tagged.
        XCTAssertEqual(multi.withdraw(), [3, 5])
        multi.shutdown()
        XCTAssertEqual(completed, [1, 2, 4], "the sent one and the untagged ones complete, in order")
        XCTAssertEqual(try receiver.requests().compactMap { $0["body"]?.stringValue }, ["n1", "n2", "n4"])
        XCTAssertEqual(multi.withdraw(), [], "nothing is left to take back")
    }

    func testSlowReceiver_timesOut_withoutHoldingBackTheOthers() throws {
        try receiver.script(path: "/slow", delay: 3)
        let multi = try XCTUnwrap(HTTPMulti())
        defer { multi.shutdown() }
        let slow = HTTPRequest(method: "POST", url: "\(receiver.baseURL)/slow", body: Array("s".utf8), timeout: 0.5)
        let fast = (0..<5).map { HTTPRequest(method: "POST", url: "\(receiver.baseURL)/fast", body: Array("f\($0)".utf8), timeout: 10) }
        let (results, order) = run(multi, [slow] + fast)
        guard case .failure(let error) = results[0] else { return XCTFail("the slow request must time out: \(results[0])") }
        XCTAssertEqual(error.kind, .timeout)
        XCTAssertEqual(order.last, 0, "the fast requests finish while the slow one waits")
        for r in results.dropFirst() {
            guard case .success(let response) = r else { return XCTFail("\(r)") }
            XCTAssertEqual(response.status, 200)
        }
    }

    func testKeptResponseHeaders_areReadWithoutTheirSurroundingBlanks() throws {
        try receiver.script(path: "/busy", statuses: [429], headers: ["Retry-After": " 120\t", "Location": "/next"])
        let multi = try XCTUnwrap(HTTPMulti())
        defer { multi.shutdown() }
        let (results, _) = run(multi, [HTTPRequest(method: "POST", url: "\(receiver.baseURL)/busy", body: [], timeout: 5)])
        guard case .success(let response) = results[0] else { return XCTFail("\(results[0])") }
        XCTAssertEqual(response.status, 429)
        XCTAssertEqual(response.headers["retry-after"], "120")
        XCTAssertEqual(response.headers["location"], "/next")
        XCTAssertEqual(response.headers["content-type"], nil, "the receiver sent none")
    }

    func testNothingListening_isAConnectError() throws {
        let multi = try XCTUnwrap(HTTPMulti())
        defer { multi.shutdown() }
        let port = receiver.port
        receiver.stop()
        let (results, _) = run(multi, [HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/x", body: [], timeout: 5)])
        guard case .failure(let error) = results[0] else { return XCTFail("\(results[0])") }
        XCTAssertEqual(error.kind, .connect)
    }

    func testHeaderWithCRLF_isRefused_andNothingIsSent() throws {
        let multi = try XCTUnwrap(HTTPMulti())
        defer { multi.shutdown() }
        let bad = HTTPRequest(method: "POST", url: "\(receiver.baseURL)/x", headers: [("X-A", "1\r\nX-Injected: yes")], body: [], timeout: 5)
        let (results, _) = run(multi, [bad])
        guard case .failure(let error) = results[0] else { return XCTFail("\(results[0])") }
        XCTAssertEqual(error.kind, .refused)
        XCTAssertEqual(try receiver.requests().count, 0)
    }

    func testShutdown_waitsForTransfersInFlight_thenRefusesNewOnes() throws {
        try receiver.script(path: "/slowish", delay: 0.5)
        let multi = try XCTUnwrap(HTTPMulti())
        let lock = NSLock()
        var finished: [Result<HTTPResponse, TransportError>] = []
        for _ in 0..<3 {
            multi.submit(HTTPRequest(method: "POST", url: "\(receiver.baseURL)/slowish", body: [], timeout: 10)) { r in
                lock.lock(); finished.append(r); lock.unlock()
            }
        }
        multi.shutdown()
        lock.lock()
        let done = finished
        lock.unlock()
        XCTAssertEqual(done.count, 3, "shutdown returns after the transfers in flight")
        for r in done { if case .failure(let e) = r { XCTFail("\(e)") } }
        var late: Result<HTTPResponse, TransportError>?
        multi.submit(HTTPRequest(method: "POST", url: "\(receiver.baseURL)/x", body: [], timeout: 5)) { late = $0 }
        guard case .failure(let error)? = late else { return XCTFail("a request after shutdown must be refused at once") }
        XCTAssertEqual(error.kind, .refused)
    }
}
