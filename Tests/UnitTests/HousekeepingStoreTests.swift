import Foundation
@testable import FTACore
@testable import FTAStore
import FTATestSupport
import GRDB
import XCTest

/// Giving space back: new files are made with incremental vacuum; a file made before it is
/// converted once by the purge command.
final class HousekeepingStoreTests: TemporaryDirectoryCase {
    /// Fills `path` with ~8 MB in a scratch table, then drops it: free pages in the file.
    func freePages(at path: String) throws {
        let q = try DatabaseQueue(path: path)
        try q.write { db in
            try db.execute(sql: "CREATE TABLE scratch (b BLOB)")
            for _ in 0..<200 { try db.execute(sql: "INSERT INTO scratch VALUES (zeroblob(40000))") }
        }
        try q.write { db in try db.execute(sql: "DROP TABLE scratch") }
        try q.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    func autoVacuum(_ path: String) throws -> Int {
        try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? -1 }
    }

    func testNewFile_hasIncrementalVacuum_andGivesFreePagesBack() throws {
        let path = dir.file("new.db")
        _ = try SQLiteStore(path: path)
        XCTAssertEqual(try autoVacuum(path), 2)
        try freePages(at: path)
        let store = try SQLiteStore(path: path)
        let before = try store.storageStatus()
        XCTAssertGreaterThan(before.freeBytes, 7_000_000)
        let freed = try store.reclaimSpace(convert: false)
        XCTAssertGreaterThan(freed, 7_000_000)
        XCTAssertEqual(try store.storageStatus().freeBytes, 0)
    }

    func testFileMadeWithoutIncrementalVacuum_isConvertedOnlyWhenAsked() throws {
        let path = dir.file("old.db")
        // A file whose first table was made before fta set incremental vacuum.
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE early (a)") }
        XCTAssertEqual(try autoVacuum(path), 0)
        _ = try SQLiteStore(path: path)
        try freePages(at: path)
        let store = try SQLiteStore(path: path)
        XCTAssertEqual(try store.reclaimSpace(convert: false), 0, "a pass does not rewrite the file")
        XCTAssertEqual(try autoVacuum(path), 0)
        XCTAssertGreaterThan(try store.reclaimSpace(convert: true), 7_000_000)
        XCTAssertEqual(try autoVacuum(path), 2, "converted once; later purges free space incrementally")
        XCTAssertEqual(try store.storageStatus().actions, 0, "the store still opens and reads")
    }
}
