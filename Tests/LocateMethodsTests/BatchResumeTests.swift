import Foundation
import LocateBatch
import LocateMethods
import Testing
import TestSupport

@Suite("Batch runs killed and resumed", .realModel)
struct BatchResumeTests {
    /// `locate neurons --probes` on two facts (2 steps, 4 layers, to keep it short), killed with SIGKILL once the first record is on
    /// disk (and left with half a line, as a kill during a write would), then rerun: the records
    /// file equals that of an uninterrupted run, byte for byte. Guards a resume that loses,
    /// repeats or reorders records, or cannot append after a torn line.
    @Test func killedNeuronsRunResumesToTheSameFile() throws {
        try LocateBinary.require()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batch-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let probes = Fixtures.packageRoot.appendingPathComponent("probes/facts.jsonl").path
        func arguments(_ out: URL) -> [String] {
            ["neurons", "--probes", probes, "--limit", "2", "--steps", "2", "--layers", "26-29", "--model", Fixtures.defaultModel.path,
             "--out", out.path]
        }
        let whole = folder.appendingPathComponent("whole"), killed = folder.appendingPathComponent("killed")
        let first = try LocateBinary.run(arguments(whole))
        #expect(first.status == 0, "\(first.all)")

        let process = Process()
        process.executableURL = LocateBinary.url
        process.arguments = arguments(killed)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let records = killed.appendingPathComponent("records.jsonl")
        let deadline = Date().addingTimeInterval(60)
        var lines = 0
        while process.isRunning && Date() < deadline {
            if let data = try? Data(contentsOf: records) {
                lines = data.filter { $0 == UInt8(ascii: "\n") }.count
                if lines >= 2 { break }          // the header and the first record
            }
            usleep(10_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let onDisk = try Data(contentsOf: records)
        #expect(lines >= 2 && onDisk.filter { $0 == UInt8(ascii: "\n") }.count < 3, "the kill should land before the last record")
        let handle = try FileHandle(forWritingTo: records)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"answerIDs":[12"#.utf8))
        try handle.close()

        let resumed = try LocateBinary.run(arguments(killed))
        #expect(resumed.status == 0, "\(resumed.all)")
        #expect(try Data(contentsOf: records) == Data(contentsOf: whole.appendingPathComponent("records.jsonl")))
        let contents = try NeuronsRecordsFile.read(records, format: NeuronsRecord.format)
        #expect(contents.records.count == 2 && contents.settings.steps == 2)
    }
}
