import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One writer per records file: an advisory lock (`flock`) on `<file>.lock`, which holds the
/// writer's process id. The kernel releases the lock when the writer exits, however it exits, so a
/// lock file left by a dead process is found free; ``stalePID`` then names that process.
final class RecordsLock {
    let url: URL
    /// The process that held the lock last and died without removing the file, if any.
    let stalePID: Int?
    private let descriptor: Int32

    /// Takes the lock for `records`, or throws ``RecordsError/busy(path:pid:)`` at once.
    init(for records: URL) throws(RecordsError) {
        let url = records.appendingPathExtension("lock")
        while true {
            let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw .unwritable(path: url.path, reason: "cannot create the lock file: \(String(cString: strerror(errno)))")
            }
            let previous = Self.pid(in: fd)
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                throw .busy(path: records.path, pid: previous)
            }
            // The holder may have removed the file between our open and our lock: then the lock
            // is on a file no one else sees, so start again with the file now at the path.
            var held = stat(), current = stat()
            if fstat(fd, &held) == 0, stat(url.path, &current) == 0, held.st_ino == current.st_ino, held.st_dev == current.st_dev {
                let mine = "\(getpid())\n"
                _ = ftruncate(fd, 0)
                _ = mine.withCString { pwrite(fd, $0, strlen($0), 0) }
                self.url = url
                self.descriptor = fd
                self.stalePID = previous.flatMap { $0 == Int(getpid()) ? nil : $0 }
                return
            }
            close(fd)
        }
    }

    deinit {
        unlink(url.path)
        close(descriptor)
    }

    private static func pid(in fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return Int(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
