import Foundation
import GRDB
import GRDBSQLite

/// Runs WAL checkpoints on its own connection and thread, so the writing thread never stops to
/// copy pages into the database file or to wait for the disk's flush (a checkpoint ends with an
/// `fdatasync` of the WAL and of the file).
final class Checkpointer: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = false
    private var running = false
    private var closed = false
    private let done = DispatchSemaphore(value: 0)

    init(database: FTADatabase) {
        let thread = Thread { [self] in
            while true {
                condition.lock()
                while !pending && !closed { condition.wait() }
                let run = pending
                pending = false
                running = run
                let stop = closed
                condition.unlock()
                if run { try? database.checkpoint() }
                condition.lock()
                running = false
                condition.broadcast()
                condition.unlock()
                if stop && !run { break }
            }
            done.signal()
        }
        thread.name = "fta-checkpoint"
        thread.start()
    }

    func request() {
        condition.lock()
        pending = true
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until no checkpoint is asked for or running.
    func waitIdle() {
        condition.lock()
        while pending || running { condition.wait() }
        condition.unlock()
    }

    func finish() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
        done.wait()
    }
}

/// A connection's commits driving a ``Checkpointer`` through SQLite's WAL hook, in place of the
/// automatic checkpoint that would run on the committing thread (docs/decisions.md, "Checkpoints
/// off the pass's thread"). After a commit that leaves at least ``every`` more frames in the WAL
/// than the last request saw, a checkpoint is requested; at ``limit`` frames the committing
/// thread waits for the checkpointer, so that the next transaction starts the WAL over (SQLite
/// restarts it only when every frame has been copied back) and the file stays bounded.
final class WALHookCheckpoints: @unchecked Sendable {
    let checkpointer: Checkpointer
    let every: Int32
    let limit: Int32
    /// The WAL's frame count when a checkpoint was last requested (touched only by commits,
    /// which the connection serialises).
    private var requestedAt: Int32 = 0

    init(checkpointer: Checkpointer, every: Int32, limit: Int32) {
        self.checkpointer = checkpointer
        self.every = every
        self.limit = limit
    }

    /// Called after each commit with the frames now in the WAL; the write lock is released by then.
    func committed(frames: Int32) {
        if frames < requestedAt { requestedAt = 0 }  // the WAL was started over
        guard frames - requestedAt >= every else { return }
        requestedAt = frames
        checkpointer.request()
        // This connection commits nothing while it waits: the checkpoint copies every frame.
        if frames >= limit { checkpointer.waitIdle() }
    }

    func install(on connection: OpaquePointer) {
        sqlite3_wal_hook(connection, { context, _, _, frames in
            Unmanaged<WALHookCheckpoints>.fromOpaque(context!).takeUnretainedValue().committed(frames: frames)
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }
}
