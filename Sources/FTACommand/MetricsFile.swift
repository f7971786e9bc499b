import Foundation
import FTACore

/// The metrics file, written atomically (temp file + rename) for node_exporter's textfile
/// collector: a scrape never sees a half-written file.
package enum MetricsFile {
    /// Refuses a path that is neither missing nor a regular file (a device such as /dev/null, a
    /// folder, a symbolic link) and one whose folder does not exist, before anything is done:
    /// renaming over such a path would replace it.
    package static func checkTarget(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) == 0 {
            let kind = st.st_mode & S_IFMT
            guard kind == S_IFREG else {
                let what = kind == S_IFDIR ? "a folder" : kind == S_IFLNK ? "a symbolic link" : kind == S_IFCHR || kind == S_IFBLK ? "a device" : "not a regular file"
                throw FTAError.usage("--metrics-file \(path): is \(what); give the path of a regular file (it is replaced on each run)")
            }
            return
        }
        let dir = (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: dir.isEmpty ? "." : dir, isDirectory: &isDir) || !isDir.boolValue {
            throw FTAError.usage("--metrics-file \(path): folder \(dir) does not exist")
        }
    }

    package static func write(_ families: [MetricsText.Family], to path: String) throws {
        try checkTarget(path)
        let text = MetricsText.render(families)
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        // A new file of our own: never through a link someone left at the temporary name.
        unlink(tmp)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FTAError.environment("metrics file \(path): cannot create \(tmp) (\(String(cString: strerror(errno))))")
        }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let why = String(cString: strerror(errno))
                close(fd)
                unlink(tmp)
                throw FTAError.environment("metrics file \(path): cannot write \(tmp) (\(why))")
            }
            written += n
        }
        close(fd)
        // Checked again just before the rename: the path may have changed during the run.
        do { try checkTarget(path) } catch {
            unlink(tmp)
            throw error
        }
        guard rename(tmp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw FTAError.environment("metrics file \(path): cannot rename into place (\(why))")
        }
    }
}
