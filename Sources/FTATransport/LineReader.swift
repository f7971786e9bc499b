import Foundation
import FTACore

/// Streams lines from a file descriptor in 1 MiB reads, without loading the whole input.
///
/// A line longer than ``maxLineBytes`` is not kept: it is skipped up to its newline and handed
/// on empty with ``lastLineTooLong`` set, so one runaway line costs neither memory nor the lines
/// after it. A stop signal (``StopSignals``) ends a read that waits on a pipe: the reader then
/// reports the end of its input, and ``stoppedBySignal`` says why.
package final class LineReader {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    /// Skipping the rest of a line that is too long.
    private var discarding = false
    package private(set) var lineNumber = 0
    package var maxLineBytes = InputLimits.maxLineBytes
    /// The line just handed over was longer than ``maxLineBytes`` (its bytes were dropped).
    package private(set) var lastLineTooLong = false
    /// The input ended early because a stop signal arrived.
    package private(set) var stoppedBySignal = false

    /// `path` "-" reads standard input.
    package init(path: String) throws {
        if path == "-" {
            fd = 0
            ownsDescriptor = false
        } else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                throw FTAError.input("input \(path): is a folder")
            }
            fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw FTAError.input("input \(path): cannot open (\(String(cString: strerror(errno))))") }
            ownsDescriptor = true
        }
    }

    deinit { if ownsDescriptor { close(fd) } }

    /// The next line without its newline (and without a trailing CR), or nil at the end.
    package func next<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T? {
        while true {
            let found: Int? = buffer.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress, start < b.count,
                      let hit = memchr(base + start, 0x0A, b.count - start) else { return nil }
                return UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
            }
            if let nl = found {
                lineNumber += 1
                if discarding {
                    discarding = false
                    start = nl + 1
                    lastLineTooLong = true
                    return .some(try body(UnsafeBufferPointer(start: nil, count: 0)))
                }
                lastLineTooLong = false
                var end = nl
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let s = start
                start = nl + 1
                return .some(try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[s..<end])) })
            }
            if eof {
                // A line cut short by a stop signal is not a line: the writer had not finished it.
                guard !stoppedBySignal, start < buffer.count || discarding else { return .none }
                lineNumber += 1
                let s = start
                start = buffer.count
                if discarding {
                    discarding = false
                    lastLineTooLong = true
                    return .some(try body(UnsafeBufferPointer(start: nil, count: 0)))
                }
                lastLineTooLong = false
                return .some(try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[s...])) })
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            if buffer.count > maxLineBytes {
                // No newline within the limit: drop what is held and skip to the next newline.
                buffer.removeAll(keepingCapacity: true)
                discarding = true
            }
            let chunk = 1 << 20
            let old = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: chunk))
            var n = 0
            // Wait for input a fifth of a second at a time, so a stop signal is noticed even
            // when it is delivered to another thread while this one waits on a quiet pipe.
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while !StopSignals.requested, poll(&ready, 1, 200) == 0 {}
            while !StopSignals.requested {
                n = buffer.withUnsafeMutableBufferPointer { b in b.baseAddress.map { read(fd, $0 + old, chunk) } ?? -1 }
                if n < 0, errno == EINTR { continue }
                break
            }
            if StopSignals.requested && n <= 0 {
                buffer.removeLast(chunk)
                eof = true
                stoppedBySignal = true
            } else if n <= 0 {
                buffer.removeLast(chunk)
                eof = true
            } else {
                buffer.removeLast(chunk - n)
            }
        }
    }
}
