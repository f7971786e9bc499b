/// Thrown by a command that completed but must exit non-zero (e.g. 1: rows rejected).
public struct CommandExit: Error {
    public var status: ExitStatus
    public init(_ status: ExitStatus) { self.status = status }
}
