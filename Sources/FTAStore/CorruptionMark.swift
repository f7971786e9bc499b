import Foundation
import FTACore

/// `<database>.corrupt`: written when any command finds the database corrupt, read by every
/// command when it opens the file. SQLite only notices damage on the pages a statement reads,
/// so without it an enqueue that touches only healthy pages would go on storing actions a pass
/// can no longer run. The mark is a small text file next to the database (nothing is written
/// into the damaged file); the operator deletes it after restoring or recovering the file.
enum CorruptionMark {
    static func path(for databasePath: String) -> String { databasePath + ".corrupt" }

    /// What the mark says (when and what was found), or nil when there is none.
    static func read(databasePath: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path(for: databasePath)) else { return nil }
        let text = String(decoding: data.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "marked by an earlier run" : text
    }

    static func write(databasePath: String, what: String) {
        guard FileManager.default.fileExists(atPath: databasePath), read(databasePath: databasePath) == nil else { return }
        let command = (CommandLine.arguments.first as NSString?)?.lastPathComponent ?? "fta"
        let line = "\(what), found by \(command) at \(TimeParser.iso(Int64(Date().timeIntervalSince1970)))\n"
        _ = FileManager.default.createFile(atPath: path(for: databasePath), contents: Data(line.utf8))
    }
}
