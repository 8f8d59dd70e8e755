import Foundation
import LocateBatch
import Testing

@Suite("Shards and merging")
struct ShardAndMergeTests {
    /// `i/n` is 0-based: 0/3, 1/3 and 2/3 are the three shards. Guards a shard no machine runs.
    @Test func parsesShards() throws {
        #expect(try Shard(parsing: "0/3") == Shard(index: 0, count: 3))
        #expect(try Shard(parsing: " 2 / 3 ") == Shard(index: 2, count: 3))
        #expect(try Shard(parsing: nil) == .whole)
        #expect(try Shard(parsing: "1/4").description == "1/4")
    }

    /// Bad shard text is a typed error saying what to write. Guards a typo that silently runs
    /// the whole list, or nothing.
    @Test(arguments: [
        ("3/3", ShardError.outOfRange(index: 3, count: 3)),
        ("4/3", .outOfRange(index: 4, count: 3)),
        ("1/0", .outOfRange(index: 1, count: 0)),
        ("0/0", .outOfRange(index: 0, count: 0)),
        ("-1/3", .outOfRange(index: -1, count: 3)),
        ("a/b", .notAShard("a/b")),
        ("1/", .notAShard("1/")),
        ("1/2/3", .notAShard("1/2/3")),
        ("3", .notAShard("3")),
    ])
    func refusesBadShards(text: String, expected: ShardError) {
        #expect(throws: expected) { try Shard(parsing: text) }
        #expect(expected.description.contains("i/n") || expected.description.contains("n ≥ 1"))
    }

    /// Round-robin by position, disjoint and complete, with the file names trace and rsim use.
    /// Guards shards that overlap, or records files of older shard runs no longer found by merge.
    @Test func selectsRoundRobin() throws {
        let items = Array("abcdefg")
        let shards = try (0..<3).map { try Shard(index: $0, count: 3).select(items) }
        #expect(shards[1].map(\.offset) == [1, 4] && String(shards[1].map(\.element)) == "be")
        #expect(shards.flatMap { $0.map(\.offset) }.sorted() == Array(0..<7))
        #expect(try Shard(index: 1, count: 3).fileName("records") == "records-shard-1-of-3.jsonl")
        #expect(Shard.whole.fileName("profiles-klob-c") == "profiles-klob-c.jsonl")
    }

    /// Three shards written apart and merged give the record set of one unsharded run, in the
    /// list's order. Guards a merge that drops, duplicates or reorders records.
    @Test func mergeOfShardsEqualsTheWholeRun() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rows = (0..<10).map(row)
        let whole = folder.appendingPathComponent("records.jsonl")
        try writeRows(rows, to: whole)
        for i in 0..<3 {
            let shard = try Shard(index: i, count: 3)
            try writeRows(shard.select(rows).map(\.element), to: folder.appendingPathComponent("shards/" + shard.fileName("records")))
        }
        let files = try RowsFile.files(in: [folder.appendingPathComponent("shards").path], prefix: "records")
        #expect(files.count == 3)
        let merged = folder.appendingPathComponent("merged/records.jsonl")
        let records = try RowsFile.merge(files, format: rowsFormat, into: merged) { $0.value < $1.value }
        #expect(records == rows)
        #expect(try Data(contentsOf: merged) == Data(contentsOf: whole))
    }

    /// Shards of runs with other settings are refused, naming both files and the setting; an id
    /// in two files is kept once. Guards averaging records of two noise levels.
    @Test func mergeRefusesDifferentSettings() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("a.jsonl"), b = folder.appendingPathComponent("b.jsonl")
        try writeRows([row(1), row(2)], to: a)
        try writeRows([row(2), row(3)], to: b)
        let merged = try RowsFile.merge([RowsFile.read(a, format: rowsFormat), RowsFile.read(b, format: rowsFormat)])
        #expect(merged.records.map(\.id) == ["r1", "r2", "r3"])
        var other = RowSettings(); other.model = "other.gguf"
        let c = folder.appendingPathComponent("c.jsonl")
        try writeRows([row(4)], to: c, settings: other)
        #expect(throws: RecordsError.mergeMismatch(first: a.path, other: c.path, setting: "model",
                                                   firstValue: "\"model.gguf\"", otherValue: "\"other.gguf\"")) {
            try RowsFile.merge([a, c], format: rowsFormat, into: folder.appendingPathComponent("m.jsonl")) { $0.value < $1.value }
        }
    }
}
