import Foundation
import FTACore

/// A Redis connection speaking RESP over a TCP socket: enough for the message-queue push
/// (`AUTH`, `SELECT`, `LPUSH`, `LTRIM`).
package final class RedisClient {
    package typealias Target = RedisTarget

    let target: Target
    let timeout: Double
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    package init(target: Target, timeout: Double = 5) {
        self.target = target
        self.timeout = timeout
    }

    deinit { close() }

    package func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
        buffer = []
    }

    func connect() throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(target.host, String(target.port), &hints, &result) == 0, let first = result else {
            throw TransportError(kind: .connect, message: "\(target.safe): cannot resolve \(target.host)")
        }
        defer { freeaddrinfo(result) }
        var lastError = "no address"
        var info: UnsafeMutablePointer<addrinfo>? = first
        while let ai = info {
            let s = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            if s >= 0 {
                var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - floor(timeout)) * 1e6))
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                if Glibc.connect(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 {
                    fd = s
                    break
                }
                lastError = String(cString: strerror(errno))
                _ = Glibc.close(s)
            }
            info = ai.pointee.ai_next
        }
        guard fd >= 0 else { throw TransportError(kind: .connect, message: "\(target.safe): \(lastError)") }
        if let password = target.password, !password.isEmpty {
            let r = try command(["AUTH", password])
            if case .error(let e) = r { throw TransportError(kind: .other, message: "\(target.safe): AUTH refused: \(e)") }
        }
        if target.db != 0 {
            let r = try command(["SELECT", String(target.db)])
            if case .error(let e) = r { throw TransportError(kind: .other, message: "\(target.safe): SELECT \(target.db) refused: \(e)") }
        }
    }

    package enum Reply: Equatable {
        case status(String), error(String), integer(Int64), bulk([UInt8]?), array([Reply]?)
    }

    /// Sends one command and reads its reply; connects (and authenticates) on first use.
    package func command(_ args: [String]) throws -> Reply {
        if fd < 0 { try connect() }
        var out = Array("*\(args.count)\r\n".utf8)
        for a in args {
            let bytes = Array(a.utf8)
            out += Array("$\(bytes.count)\r\n".utf8) + bytes + [13, 10]
        }
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                close()
                throw TransportError(kind: .other, message: "\(target.safe): write failed: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
        do { return try readReply() } catch { close(); throw error }
    }

    func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else {
            throw TransportError(kind: n == 0 ? .other : .timeout, message: "\(target.safe): " + (n == 0 ? "connection closed" : "no reply within \(timeout) s"))
        }
        buffer += chunk[0..<n]
    }

    func line() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: 10), i > 0, buffer[i - 1] == 13 {
                let text = String(decoding: buffer[0..<(i - 1)], as: UTF8.self)
                buffer.removeSubrange(0...i)
                return text
            }
            try fill()
        }
    }

    func readReply() throws -> Reply {
        let l = try line()
        guard let kind = l.first else { throw TransportError(kind: .other, message: "\(target.safe): empty reply") }
        let body = String(l.dropFirst())
        switch kind {
        case "+": return .status(body)
        case "-": return .error(body)
        case ":": return .integer(Int64(body) ?? 0)
        case "$":
            guard let n = Int(body), n >= 0 else { return .bulk(nil) }
            while buffer.count < n + 2 { try fill() }
            let data = Array(buffer[0..<n])
            buffer.removeSubrange(0..<(n + 2))
            return .bulk(data)
        case "*":
            guard let n = Int(body), n >= 0 else { return .array(nil) }
            return .array(try (0..<n).map { _ in try readReply() })
        default:
            throw TransportError(kind: .other, message: "\(target.safe): not a Redis reply")
        }
    }
}
