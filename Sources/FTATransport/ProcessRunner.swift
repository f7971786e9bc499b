import CCurl
import Foundation
import FTACore

/// Runs a program with an argv list (never through a shell) in its own process group, with a
/// timeout that kills the whole group, capturing stdout and stderr up to a limit.
package enum ProcessRunner {
    package struct Result: Sendable {
        /// Exit status, or nil when killed by a signal.
        package var exitCode: Int32?
        package var signal: Int32?
        package var timedOut: Bool
        package var stdout: String
        package var stderr: String
        package var truncated: Bool
    }

    package static func run(_ argv: [String], environment: [String: String], directory: String?, timeout: Double, maxOutput: Int) throws -> Result {
        guard let program = argv.first, !program.isEmpty else { throw TransportError(kind: .other, message: "no program to run") }
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw TransportError(kind: .other, message: "pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in [outPipe[0], outPipe[1], errPipe[0], errPipe[1]] { posix_spawn_file_actions_addclose(&actions, fd) }
        if let directory { fta_spawn_addchdir(&actions, directory) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Its own process group, so a timeout can kill everything it started.
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attr, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGTERM, SIGINT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)

        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in cArgs + cEnv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, &attr, cArgs, cEnv)
        close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw TransportError(kind: .other, message: "cannot run \(program): \(String(cString: strerror(rc)))")
        }
        for fd in [outPipe[0], errPipe[0]] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }

        var out: [UInt8] = [], err: [UInt8] = []
        var truncated = false
        var open = [outPipe[0], errPipe[0]]
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var status: Int32 = 0
        var exited = false
        var timedOut = false
        var exitedAt = 0.0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            _ = poll(&fds, nfds_t(fds.count), 50)
            for f in fds where f.revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(f.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    let room = maxOutput - (f.fd == outPipe[0] ? out.count : err.count)
                    if room < n { truncated = true }
                    if room > 0 {
                        if f.fd == outPipe[0] { out += buffer[0..<min(n, room)] } else { err += buffer[0..<min(n, room)] }
                    }
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    open.removeAll { $0 == f.fd }
                    close(f.fd)
                }
            }
            if !exited, waitpid(pid, &status, WNOHANG) == pid {
                exited = true
                exitedAt = elapsed()
            }
            // Done when it exited and its output is closed; a background child that keeps the
            // pipes open gets a second, then the group is killed.
            if exited && (open.isEmpty || elapsed() - exitedAt > 1) { break }
            if !exited && elapsed() > timeout {
                timedOut = true
                kill(-pid, SIGTERM)
                let graceEnd = elapsed() + 2
                while elapsed() < graceEnd, waitpid(pid, &status, WNOHANG) != pid { usleep(20_000) }
                kill(-pid, SIGKILL)
                if waitpid(pid, &status, WNOHANG) != pid { waitpid(pid, &status, 0) }
                exited = true
                break
            }
        }
        // Whatever it left running in its group goes too.
        kill(-pid, SIGKILL)
        for fd in open { close(fd) }
        let code: Int32? = (status & 0x7f) == 0 ? (status >> 8) & 0xff : nil
        let sig: Int32? = (status & 0x7f) != 0 ? status & 0x7f : nil
        return Result(exitCode: timedOut ? nil : code, signal: timedOut ? SIGKILL : sig, timedOut: timedOut,
                      stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self), truncated: truncated)
    }
}
