import Foundation

/// Streams lines from a file descriptor in 1 MiB reads, without loading the whole input.
public final class LineReader {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    public private(set) var lineNumber = 0

    /// `path` "-" reads standard input.
    public init(path: String) throws {
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
    public func next<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T? {
        while true {
            let found: Int? = buffer.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress, start < b.count,
                      let hit = memchr(base + start, 0x0A, b.count - start) else { return nil }
                return UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
            }
            if let nl = found {
                lineNumber += 1
                var end = nl
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let s = start
                start = nl + 1
                return .some(try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[s..<end])) })
            }
            if eof {
                guard start < buffer.count else { return .none }
                lineNumber += 1
                let s = start
                start = buffer.count
                return .some(try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[s...])) })
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            let chunk = 1 << 20
            let old = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: chunk))
            let n = buffer.withUnsafeMutableBufferPointer { b in b.baseAddress.map { read(fd, $0 + old, chunk) } ?? -1 }
            if n <= 0 {
                buffer.removeLast(chunk)
                eof = true
            } else {
                buffer.removeLast(chunk - n)
            }
        }
    }
}
