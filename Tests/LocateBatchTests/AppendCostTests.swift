import Foundation
import LocateBatch
import Testing

@Suite("Appending costs one line")
struct AppendCostTests {
    /// On a 10,000-record file an append writes exactly its own line at the end — the earlier
    /// bytes untouched, no read, no rewrite — and takes about as long as on a 10-record file.
    /// Guards a records file rewritten per record, which makes a long batch quadratic in I/O.
    @Test func appendOnALongFileWritesOneLine() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let long = folder.appendingPathComponent("long.jsonl"), short = folder.appendingPathComponent("short.jsonl")
        try RowsFile.write((0..<10_000).map(row), format: rowsFormat, settings: RowSettings(), to: long)
        try RowsFile.write((0..<10).map(row), format: rowsFormat, settings: RowSettings(), to: short)

        do {  // this writer ends before the timing below opens the file again
            let before = try Data(contentsOf: long)
            let file = try RowsFile.open(long, format: rowsFormat, settings: RowSettings())
            #expect(file.records.count == 10_000 && file.bytesWritten == 0)
            let extra = row(10_000)
            let line = try JSONLines.encode(extra)
            try file.append(extra)
            #expect(file.bytesWritten == line.count)
            let after = try Data(contentsOf: long)
            #expect(after.count == before.count + line.count)
            #expect(after.prefix(before.count) == before)
            #expect(after.suffix(line.count) == line)
        }

        func medianAppendSeconds(_ url: URL) throws -> Double {
            let file = try RowsFile.open(url, format: rowsFormat, settings: RowSettings())
            var times: [Double] = []
            for i in 0..<9 {
                let start = DispatchTime.now().uptimeNanoseconds
                try file.append(row(20_000 + i))
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return times.sorted()[times.count / 2]
        }
        let longTime = try medianAppendSeconds(long), shortTime = try medianAppendSeconds(short)
        #expect(longTime < 10 * max(shortTime, 20e-6), "append: \(longTime) s on 10,000 lines, \(shortTime) s on 10")
    }
}
