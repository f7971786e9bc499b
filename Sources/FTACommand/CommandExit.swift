/// Thrown by a command that completed but must exit non-zero (e.g. 1: rows rejected).
package struct CommandExit: Error {
    package var status: ExitStatus
    package init(_ status: ExitStatus) { self.status = status }
}
