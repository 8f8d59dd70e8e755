import Foundation
import LocateBatch
import Testing

@Suite("Records files: header, append, resume and repair")
struct RecordsFileTests {
    /// The file is a header line then one sorted-keys line per record, and reads back as written.
    /// Guards a file other tools cannot diff or a header a resume cannot check.
    @Test func layout() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("sub/records.jsonl")
        try writeRows([row(1), row(2)], to: url)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == #"{"format":"locate-records","kind":"rows","settings":{"model":"model.gguf","noise_level":0.3,"samples":10},"version":1}"#)
        #expect(lines[1].hasPrefix(#"{"id":"r1","text":"#) && lines[1].contains("a / slash"))
        let contents = try RowsFile.read(url, format: rowsFormat)
        #expect(contents.records == [row(1), row(2)] && contents.settings == RowSettings())
    }

    /// A run killed in the middle of a line: reopening cuts the half line off and carries on, and
    /// the finished file equals one written without interruption, byte for byte. Guards appending
    /// after a broken line (the file would be unreadable) or losing whole records.
    @Test func tornLastLineRepairedOnResume() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = (0..<8).map(row)
        let whole = folder.appendingPathComponent("whole.jsonl")
        try writeRows(rows, to: whole)

        let cut = folder.appendingPathComponent("cut.jsonl")
        try writeRows(Array(rows.prefix(5)), to: cut)
        let intact = try Data(contentsOf: cut)
        let handle = try FileHandle(forWritingTo: cut)
        try handle.seekToEnd()
        let next = try JSONLines.encode(rows[5])
        try handle.write(contentsOf: next.prefix(next.count / 2))      // the kill
        try handle.close()

        let resumed = try RowsFile.open(cut, format: rowsFormat, settings: RowSettings())
        #expect(resumed.repaired)
        #expect(resumed.records == Array(rows.prefix(5)) && resumed.resumedCount == 5)
        #expect(try Data(contentsOf: cut) == intact)
        for r in rows where !resumed.doneIDs.contains(r.id) { try resumed.append(r) }
        #expect(try Data(contentsOf: cut) == Data(contentsOf: whole))
    }

    /// A last line that has its newline but does not decode is torn too; a header cut short
    /// leaves an empty file that starts again. Guards refusing to resume after a partial write.
    @Test func undecodableLastLineAndTornHeader() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("records.jsonl")
        try writeRows([row(1)], to: url)
        let intact = try Data(contentsOf: url)
        try (intact + Data("{\"id\":\"r2\",\"te\n".utf8)).write(to: url)
        let file = try RowsFile.open(url, format: rowsFormat, settings: RowSettings())
        #expect(file.repaired && file.records == [row(1)])
        #expect(try Data(contentsOf: url) == intact)

        let header = folder.appendingPathComponent("header.jsonl")
        try Data(#"{"format":"locate-rec"#.utf8).write(to: header)
        try writeRows([row(1)], to: header)
        #expect(try Data(contentsOf: header) == intact)
    }

    /// A resume with other settings is refused, naming the setting and both values. Guards
    /// mixing records of two noise levels in one average.
    @Test func headerMismatchNamesTheSetting() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("records.jsonl")
        try writeRows([row(1)], to: url)
        var other = RowSettings(); other.samples = 3
        let error = #expect(throws: RecordsError.self) { try RowsFile.open(url, format: rowsFormat, settings: other) }
        #expect(error == .settingsMismatch(path: url.path, setting: "samples", file: "10", run: "3"))
        #expect(error?.description.contains("--force") == true && error?.description.contains("--out") == true)
        other = RowSettings(); other.noiseLevel = 0.5
        #expect(throws: RecordsError.settingsMismatch(path: url.path, setting: "noise_level", file: "0.3", run: "0.5")) {
            try RowsFile.open(url, format: rowsFormat, settings: other)
        }
        // --force starts over
        let fresh = try RowsFile.open(url, format: rowsFormat, settings: other, mode: .overwrite)
        #expect(fresh.records.isEmpty)
        #expect(try RowsFile.read(url, format: rowsFormat).settings == other)
    }

    /// A broken line before the last is an error with its line number, not a shorter list or a
    /// silent repair. Guards cutting off good records after a corrupted one.
    @Test func malformedMiddleLineReportsItsNumber() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("records.jsonl")
        try writeRows([row(1), row(2), row(3)], to: url)
        var lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        lines[2] = "not json"
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        let error = #expect(throws: RecordsError.self) { try RowsFile.open(url, format: rowsFormat, settings: RowSettings()) }
        guard case let .malformedLine(path, line, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(path == url.path && line == 3)
        #expect(throws: RecordsError.self) { try RowsFile.read(url, format: rowsFormat) }
    }

    /// Files of another kind, version or without a header are named as such. Guards resuming a
    /// trace run into a neurons file, or reading records of an older format as if they were new.
    @Test func kindVersionAndMissingHeader() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("records.jsonl")
        try writeRows([row(1)], to: url)
        #expect(throws: RecordsError.kindMismatch(path: url.path, found: "rows", expected: "other")) {
            try RowsFile.open(url, format: RecordsFormat(kind: "other", version: 1), settings: RowSettings())
        }
        #expect(throws: RecordsError.versionMismatch(path: url.path, kind: "rows", found: 1, expected: 2)) {
            try RowsFile.read(url, format: RecordsFormat(kind: "rows", version: 2))
        }
        let legacy = folder.appendingPathComponent("legacy.jsonl")
        try (JSONLines.encode(row(1)) + JSONLines.encode(row(2))).write(to: legacy)
        #expect(throws: RecordsError.missingHeader(path: legacy.path, kind: "rows")) {
            try RowsFile.open(legacy, format: rowsFormat, settings: RowSettings())
        }
        #expect(try JSONLines.decodeAll(Row.self, from: [UInt8](Data(contentsOf: legacy)), path: legacy.path) == [row(1), row(2)])
    }

    /// The batch loop appends a record per item not done, counts the skipped and the failed, and
    /// a second run makes nothing. Guards redoing finished work on resume.
    @Test func fillSkipsWhatIsDone() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("records.jsonl")
        try writeRows([row(2)], to: url)
        var file: RowsFile! = try RowsFile.open(url, format: rowsFormat, settings: RowSettings())
        var lines: [String] = []
        let progress = ProgressReporter(label: "rows", unit: "rows", terminal: false, output: { lines.append($0) })
        let done = file.doneIDs
        let outcome = try file.fill(Array(0..<5), name: { "r\($0)" }, isDone: { done.contains("r\($0)") }, progress: progress,
                                    skipped: { $0.value == 1 }) { i, _ in i == 3 ? nil : row(i) }
        #expect(outcome.made == 3 && outcome.skipped == 1 && outcome.failed == 1 && outcome.resumed == 1 && outcome.total == 5)
        #expect(file.records.map(\.id) == ["r2", "r0", "r1", "r4"])
        #expect(lines.count == 4 && lines.last?.hasPrefix("rows 5/5 rows, 2 skipped") == true)
        file = nil  // one writer at a time: the first run ends before the second opens
        let again = try RowsFile.open(url, format: rowsFormat, settings: RowSettings())
        let ids = again.doneIDs
        let second = try again.fill(Array(0..<5), name: { "r\($0)" }, isDone: { ids.contains("r\($0)") }) { i, _ in row(i) }
        #expect(second.made == 1 && second.resumed == 4)
    }

    /// The latest line of an id wins within a file (a record superseded by a fuller one).
    @Test func latestLineOfAnIdWins() throws {
        var newer = row(1); newer.value = 99
        #expect(latestByID([row(1), row(2), newer]) == [newer, row(2)])
    }
}
