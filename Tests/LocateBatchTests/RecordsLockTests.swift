import Foundation
import LocateBatch
import Testing

@Suite("Records files: one writer at a time")
struct RecordsLockTests {
    /// A second writer in this process is refused while the first holds the file, and gets it
    /// once the first is done; the lock file goes with the writer.
    @Test func secondWriterRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("records.jsonl")
        var first: RowsFile? = try RowsFile.open(url, format: rowsFormat, settings: RowSettings())
        try first?.append(row(1))
        #expect(throws: RecordsError.busy(path: url.path, pid: Int(getpid()))) {
            try RowsFile.open(url, format: rowsFormat, settings: RowSettings())
        }
        #expect(try String(contentsOf: url, encoding: .utf8).split(separator: "\n").count == 2, "the refused writer touched nothing")
        first = nil
        #expect(!FileManager.default.fileExists(atPath: url.path + ".lock"))
        let second = try RowsFile.open(url, format: rowsFormat, settings: RowSettings())
        #expect(second.records == [row(1)] && second.stalePID == nil)
    }

    /// Another process holding the lock (flock(1) here) makes the open fail at once, naming the
    /// file and what to do.
    @Test func otherProcessRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("records.jsonl")
        let lockPath = url.path + ".lock"
        #expect(FileManager.default.createFile(atPath: lockPath, contents: nil))
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["-x", lockPath, "sleep", "30"]
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        // Wait until flock(1) holds the lock (a plain non-blocking attempt fails), without
        // removing the file as a writer would.
        var held = false
        for _ in 0..<250 where !held {
            let fd = open(lockPath, O_RDWR)
            held = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0
            if fd >= 0 { close(fd) }
            if !held { usleep(20_000) }
        }
        try #require(held, "flock(1) did not take the lock within 5 s")
        var refused: RecordsError?
        do { _ = try RowsFile.open(url, format: rowsFormat, settings: RowSettings()) } catch { refused = error }
        let error = try #require(refused)
        guard case .busy(let path, _) = error else { Issue.record("expected busy, got \(error)"); return }
        #expect(path == url.path && error.description.contains("--out"))
        holder.terminate(); holder.waitUntilExit()
        #expect(throws: Never.self) { try RowsFile.open(url, format: rowsFormat, settings: RowSettings()) }
    }

    /// A lock file left by a process that died is free; the resumed file names that process.
    @Test func staleLockReported() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("records.jsonl")
        _ = try writeRows([row(1)], to: url)
        try Data("999999\n".utf8).write(to: URL(fileURLWithPath: url.path + ".lock"))
        let resumed = try RowsFile.open(url, format: rowsFormat, settings: RowSettings())
        #expect(resumed.stalePID == 999999 && resumed.records == [row(1)])
    }
}
