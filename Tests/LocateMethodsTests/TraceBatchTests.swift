import Foundation
import LocateBatch
import LocateMethods
import LocateModel
import Testing
import TestSupport

/// A hand-made record: `T` tokens, subject `subject`, L layers, scores[t][l] = value(t, l).
private func record(_ id: String, index: Int = 0, tokens T: Int, subject: Range<Int>, layers L: Int = 3,
                    low: Float = 0, high: Float = 1, correct: Bool = true, kinds: [CausalTrace.Kind] = [.hidden],
                    value: (Int, Int) -> Float) -> TraceRecord {
    let scores = (0..<T).map { t in (0..<L).map { l in value(t, l) } }
    var r = TraceRecord(index: index, probeCount: 10, id: id, relation: "r", subject: "S", prompt: "p", target: "x",
                        model: "/m/model.gguf", answerIDs: [7], answer: " x", correct: correct, continuation: " x",
                        tokenIDs: Array(0..<T), tokens: (0..<T).map { "t\($0)" }, subjectRange: subject,
                        lowScore: low, highScore: high, noiseLevel: 0.3, samples: 10, window: 10, seed: 1, seconds: 1.5)
    if correct { for kind in kinds { r.setScores(scores, for: kind) } }
    return r
}

/// Score that names its row: row t holds t/100 at every layer (plus l/10000 to tell layers apart).
private func rowValue(_ t: Int, _ l: Int) -> Float { Float(t) / 100 + Float(l) / 10_000 }

private func groupRows(_ T: Int, _ subject: Range<Int>) -> [[Int]] {
    TokenGroup.allCases.map { $0.rows(tokenCount: T, subject: subject) }
}

private func probe(_ i: Int) -> Probe {
    Probe(id: "p\(i)", subject: "S\(i)", template: "{} is", target: "x", relation: "r")
}

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("trace-batch-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("Trace batch and average indirect effect", .realModel)
struct TraceBatchTests {
    // MARK: Token groups

    /// Subject at the start: every row in exactly its group. Guards an off-by-one in ROME's indices
    /// (e.g. the last subject token taken as e instead of e − 1), which shifts whole figure rows.
    @Test func groupsSubjectAtStart() {
        #expect(groupRows(6, 0..<3) == [[0], [1], [2], [3], [4], [5]])
    }

    /// Subject in the middle: rows before it belong to no group, several middle and further rows.
    /// Guards counting the prefix ("The", BOS) as subject or subsequent tokens.
    @Test func groupsSubjectInMiddle() {
        #expect(groupRows(10, 2..<6) == [[2], [3, 4], [5], [6], [7, 8], [9]])
    }

    /// One-token subject: its row is both first and last subject token, middle is empty; a subject
    /// ending right before the last token makes that token both first subsequent and last (ROME).
    /// Guards dropping facts with one-token subjects from one of the two rows.
    @Test func groupsSingleTokenSubject() {
        #expect(groupRows(5, 3..<4) == [[3], [], [3], [4], [], [4]])
    }

    /// Subject ending at the last token (ROME's index e is past the end): no first subsequent token,
    /// the last row is last subject and last token. Guards an out-of-range row.
    @Test func groupsSubjectEndingAtLastToken() {
        #expect(groupRows(4, 1..<4) == [[1], [2], [3], [], [], [3]])
    }

    /// The averages pool rows, not facts: middle rows count one each (ROME's `add_all`), so a fact
    /// with a long subject weighs more in that row. Guards a per-fact average of the middle rows.
    @Test func middleRowsCountedEach() throws {
        let a = record("a", tokens: 8, subject: 1..<5, value: rowValue)     // middle rows 2, 3
        let b = record("b", tokens: 6, subject: 0..<3, value: rowValue)     // middle row 1
        let aie = try #require(try AverageIndirectEffect(records: [a, b], kind: .hidden))
        #expect(aie.counts == [2, 3, 2, 2, 2, 2])
        let middle = aie.mean[TokenGroup.middleSubject.rawValue][0]
        #expect(abs(middle - (0.02 + 0.03 + 0.01) / 3) < 1e-6)          // not ((0.025) + 0.01) / 2
        #expect(aie.samples[TokenGroup.middleSubject.rawValue][2].count == 3)
        let firstSubject = aie.mean[TokenGroup.firstSubject.rawValue][1]
        #expect(abs(firstSubject - (0.0101 + 0.0001) / 2) < 1e-6)
    }

    /// AIE = group mean − mean low score, clipped at 0, NaN for a group without rows. Guards
    /// negative effects leaking into the heatmap and an empty group drawn as 0.
    @Test func clippingAndEmptyGroups() throws {
        let a = record("a", tokens: 5, subject: 3..<4, layers: 2, low: 0.5) { t, l in l == 0 ? 0.2 : 0.9 }
        let aie = try #require(try AverageIndirectEffect(records: [a], kind: .hidden))
        #expect(aie.effect[TokenGroup.last.rawValue][0] == 0)
        #expect(abs(aie.effect[TokenGroup.last.rawValue][1] - 0.4) < 1e-6)
        #expect(aie.effect[TokenGroup.middleSubject.rawValue].allSatisfy { $0.isNaN })
        #expect(aie.effect[TokenGroup.further.rawValue].allSatisfy { $0.isNaN })
        #expect(aie.counts[TokenGroup.middleSubject.rawValue] == 0)
        // the line plot is not clipped
        #expect(abs(aie.indirectEffectSamples(.last)[0][0] - (0.2 - 0.5)) < 1e-6)
    }

    /// ROME's printed scalars and which records count: wrong facts and kinds without a matrix are
    /// left out. Guards averaging facts the model gets wrong (ROME uses correct predictions only).
    @Test func scalars() throws {
        let a = record("a", tokens: 4, subject: 1..<2, layers: 3, low: 0.1, high: 0.9) { t, l in
            t == 1 ? [0.3, 0.8, 0.2][l] : t == 3 ? [0.1, 0.2, 0.6][l] : 0
        }
        let b = record("b", tokens: 4, subject: 1..<2, layers: 3, low: 0.3, high: 0.7) { t, l in
            t == 1 ? [0.5, 0.6, 0.4][l] : t == 3 ? [0.3, 0.4, 0.9][l] : 0
        }
        let wrong = record("w", tokens: 4, subject: 1..<2, layers: 3, low: 0.9, high: 0.01, correct: false) { _, _ in 1 }
        let aie = try #require(try AverageIndirectEffect(records: [a, wrong, b], kind: .hidden))
        #expect(aie.promptCount == 2)
        #expect(abs(aie.lowScore - 0.2) < 1e-6 && abs(aie.highScore - 0.8) < 1e-6)
        let s = aie.scalars
        #expect(abs(s.averageTotalEffect - 0.6) < 1e-6)
        #expect(s.bestLastSubject.layer == 1 && abs(s.bestLastSubject.value - (0.7 - 0.2)) < 1e-6)
        #expect(s.bestLastToken.layer == 2 && abs(s.bestLastToken.value - (0.75 - 0.2)) < 1e-6)
        #expect(abs(s.averageBestRestored - (0.8 + 0.9) / 2) < 1e-6)
        #expect(abs(s.averageBestRestoredLastSubject - (0.8 + 0.6) / 2) < 1e-6)
        #expect(abs(s.averageBestRestoredLastToken - (0.6 + 0.9) / 2) < 1e-6)
        #expect(try AverageIndirectEffect(records: [a, b], kind: .mlp) == nil)
        #expect(try AverageIndirectEffect.all(records: [a, b]).map(\.kind) == [.hidden])
        #expect(try AverageIndirectEffect(records: [wrong], kind: .hidden) == nil)
    }

    /// Matrices of different layer counts are refused, not averaged. Guards a silent misalignment
    /// when records of two models end up in one file.
    @Test func mismatchedShapesThrow() {
        let a = record("a", tokens: 4, subject: 1..<2, layers: 3, value: rowValue)
        let b = record("b", tokens: 4, subject: 1..<2, layers: 4, value: rowValue)
        #expect(throws: AverageIndirectEffectError.self) { try AverageIndirectEffect(records: [a, b], kind: .hidden) }
    }

    // MARK: Records

    /// A record survives its JSON line unchanged, with ROME-like keys. Guards lossy floats or a
    /// subject range written in a shape other tools cannot read.
    @Test func recordRoundTrip() throws {
        var r = record("capital-france", index: 3, tokens: 5, subject: 3..<4, kinds: [.hidden, .attn], value: rowValue)
        r.lowScore = 0.012345678; r.highScore = 0.87654321
        let line = try r.jsonLine()
        #expect(line.last == UInt8(ascii: "\n") && !line.dropLast().contains(UInt8(ascii: "\n")))
        let decoded = try JSONDecoder().decode(TraceRecord.self, from: line)
        #expect(decoded == r)
        #expect(decoded.tracedKinds == [.hidden, .attn])
        let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
        #expect(object["subject_range"] as? [Int] == [3, 4])
        #expect(object["low_score"] != nil && object["answer_ids"] != nil && object["mlp"] == nil)
    }

    /// Shards split the list by position modulo n, disjoint and complete; bad shards are refused.
    /// Guards two machines tracing the same facts, or a fact no shard traces.
    @Test func shardSelection() throws {
        let probes = (0..<7).map(probe)
        let shards = try (0..<3).map { try TraceBatch.select(probes, shard: Shard(index: $0, count: 3)) }
        #expect(shards[1].map(\.index) == [1, 4])
        #expect(shards[1].map(\.probe.id) == ["p1", "p4"])
        #expect(shards.flatMap { $0.map(\.index) }.sorted() == Array(0..<7))
        #expect(TraceBatch.select(probes, shard: .whole).map(\.index) == Array(0..<7))
        #expect(throws: ShardError.outOfRange(index: 3, count: 3)) { try Shard(index: 3, count: 3) }
        #expect(throws: ShardError.self) { try Shard(parsing: "0/0") }
    }

    /// Resuming skips the ids already in the file, cuts off a half-written last line, and refuses a
    /// file traced with other settings, naming the setting. Guards retracing hours of work,
    /// appending after a broken line (which would make the file unreadable), and mixing noise
    /// levels in one average.
    @Test func resumeSkipsRecordedProbes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("records.jsonl")
        let probes = (0..<5).map(probe)
        let settings = TraceSettings(model: "model.gguf", noiseLevel: 0.3, samples: 10, window: 10, seed: 1, kinds: [.hidden])
        do {  // one writer at a time: this run ends before the resumed one opens the file
            let file = try TraceRecordsFile.open(url, format: TraceRecord.format, settings: settings)
            for i in [0, 2] { try file.append(record("p\(i)", index: i, tokens: 3, subject: 0..<1, value: rowValue)) }
        }
        let complete = try Data(contentsOf: url)
        try (complete + Data("{\"version\":1,\"id\":\"p4\",\"ind".utf8)).write(to: url)    // a run killed while writing
        var resumed: TraceRecordsFile! = try TraceRecordsFile.open(url, format: TraceRecord.format, settings: settings)
        #expect(resumed.repaired)
        #expect(try Data(contentsOf: url) == complete)
        let (todo, done) = TraceBatch.pending(probes, shard: .whole, in: resumed)
        #expect(todo.map(\.probe.id) == ["p1", "p3", "p4"])
        #expect(done.map(\.id) == ["p0", "p2"])
        let odd = TraceBatch.pending(probes, shard: try Shard(index: 1, count: 2), in: resumed)
        #expect(odd.todo.map(\.probe.id) == ["p1", "p3"] && odd.done.isEmpty)
        resumed = nil
        var other = settings; other.samples = 2
        #expect(throws: RecordsError.settingsMismatch(path: url.path, setting: "samples", file: "10", run: "2")) {
            try TraceRecordsFile.open(url, format: TraceRecord.format, settings: other)
        }
    }

    /// A broken line in the middle is an error naming the line, not a silently shorter list.
    @Test func malformedLineIsReported() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("records.jsonl")
        var data = try record("a", tokens: 3, subject: 0..<1, value: rowValue).jsonLine()
        data.append(Data("not json\n".utf8))
        data.append(try record("b", tokens: 3, subject: 0..<1, value: rowValue).jsonLine())
        try data.write(to: url)
        let error = #expect(throws: RecordsError.self) { try TraceRecord.read(contentsOf: url) }
        guard case .malformedLine(_, let line, _) = error else { Issue.record("not a malformed line: \(String(describing: error))"); return }
        #expect(line == 2)
    }

    /// A records file of an older locate (no header, every line a record) is still read, its
    /// settings taken from the records; a run cannot append to it and says how to convert it.
    /// Guards hours of traced facts made unreadable by the header.
    @Test func legacyRecordsAreRead() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("records.jsonl")
        let wrong = record("w", index: 1, tokens: 3, subject: 0..<1, correct: false, value: rowValue)
        let records = [record("a", tokens: 3, subject: 0..<1, value: rowValue), wrong]
        try Data(try records.map { try $0.jsonLine() }.joined()).write(to: url)
        let contents = try TraceRecord.readFile(url)
        #expect(contents.records == records)
        #expect(contents.settings == TraceSettings(model: "model.gguf", noiseLevel: 0.3, samples: 10, window: 10, seed: 1, kinds: [.hidden]))
        let batch = TraceBatch(model: try MethodsModel.model(), noiseLevel: 0.3, kinds: [.hidden])
        #expect(throws: TraceBatchError.legacyRecords(path: url.path)) { try batch.open(recordsFile: url) }
        let converted = folder.appendingPathComponent("new/records.jsonl")
        try TraceRecord.merge(files: [url], into: converted)
        let lines = try String(contentsOf: converted, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && lines[0].contains("\"kind\":\"trace\""))
        #expect(try TraceRecord.read(contentsOf: converted) == records)
    }

    /// Merging keeps the first record per id and restores the probe-list order. Guards double
    /// counting a fact that two shard files hold, and an order that depends on the file order.
    @Test func mergeDeduplicatesAndOrders() throws {
        let r = (0..<4).map { record("p\($0)", index: $0, tokens: 3, subject: 0..<1, value: rowValue) }
        var duplicate = r[2]; duplicate.seconds = 99
        let settings = r[0].settings
        let parts = [[r[1], r[3]], [r[2], r[0]], [duplicate]].enumerated().map { i, list in
            TraceRecordsFile.Contents(url: URL(fileURLWithPath: "/shard-\(i).jsonl"), settings: settings, records: list)
        }
        #expect(try TraceRecord.merge(parts).records == r)
        var other = settings; other.seed = 2
        #expect(throws: RecordsError.self) {
            try TraceRecord.merge([parts[0], TraceRecordsFile.Contents(url: URL(fileURLWithPath: "/x.jsonl"), settings: other, records: [])])
        }
    }

    /// Settings disagreeing between records are found, wrong facts' unknown kinds aside. Guards
    /// merging shards of different runs into one average.
    @Test func settingsMismatch() {
        let a = record("a", tokens: 3, subject: 0..<1, value: rowValue)
        let wrong = record("w", tokens: 3, subject: 0..<1, correct: false, value: rowValue)
        var b = record("b", tokens: 3, subject: 0..<1, kinds: [.hidden, .mlp], value: rowValue)
        #expect(TraceSettings.firstMismatch(in: [wrong, a]) == nil)
        #expect(TraceSettings.firstMismatch(in: [wrong, a, b])?.setting == "kinds")
        b.hidden = nil; b.mlp = nil; b.setScores([[0]], for: .hidden); b.noiseLevel = 0.31
        #expect(TraceSettings.firstMismatch(in: [a, b])?.record.id == "b")
    }

    // MARK: A real run

    /// Three facts of probes/facts.jsonl traced for real (hidden only, 2 samples), whole and in two
    /// shards: the records are written, a rerun resumes without tracing, and the merged shards equal
    /// the whole run (timings aside). Guards shards that trace differently from one run (e.g. a
    /// noise level or an index taken from the shard) and records that do not match their prompts.
    @Test func realRunShardsMergeToWholeRun() throws {
        let run = try RealRun.shared()
        #expect(run.whole.count == 3)
        for record in run.whole {
            #expect(record.correct, "\(record.id): the model should know it (probes/facts.jsonl)")
            let scores = try #require(record.hidden)
            #expect(scores.count == record.tokens.count && scores.allSatisfy { $0.count == 30 })
            #expect(record.mlp == nil && record.attn == nil && record.samples == 2)
            #expect(record.highScore > record.lowScore)
            #expect(record.tokens.joined() == record.prompt)
            #expect(record.tokens[record.subjectRange].joined().trimmingCharacters(in: .whitespaces) == record.subject)
        }
        #expect(run.resumeOutcome.traced == 0 && run.resumeOutcome.resumed == 3)
        func timeless(_ r: [TraceRecord]) -> [TraceRecord] { r.map { var c = $0; c.seconds = 0; return c } }
        let merged = try TraceRecord.merge(run.shards).records
        #expect(run.shards.map(\.records.count) == [2, 1])
        #expect(timeless(merged) == timeless(run.whole))
        let aie = try #require(try AverageIndirectEffect(records: run.whole, kind: .hidden))
        #expect(aie.promptCount == 3 && aie.maxEffect > 0)
    }

    /// The figures of the real run, drawn by the `locate` binary beside the test bundle through
    /// `locate trace merge` (LocatePlot and LocateCLI are not dependencies of this test target): four
    /// PNGs, their sidecars with the command, summary.json and the merged records. Guards figures that are not written or not valid PNGs.
    @Test func figuresFromMergedShards() throws {
        try LocateBinary.require()
        let run = try RealRun.shared()
        let out = run.folder.appendingPathComponent("merged")
        let merge = try LocateBinary.run(["trace", "merge", run.folder.appendingPathComponent("shards").path, "--out", out.path])
        #expect(merge.status == 0, "\(merge.all)")
        for name in ["aie_hidden", "aie_lines"] {
            let png = try Data(contentsOf: out.appendingPathComponent("\(name).png"))
            #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(name).png")
            let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("\(name).json"))) as? [String: Any])
            #expect((sidecar["command"] as? String)?.contains("trace merge") == true)
        }
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any])
        #expect(summary["traced"] as? Int == 3)
        let merged = try TraceRecord.read(contentsOf: out.appendingPathComponent("records.jsonl"))
        #expect(merged.map(\.id) == run.whole.map(\.id))
    }
}

/// The real run, done once per test process and shared by the tests that need it.
private struct RealRun: Sendable {
    let folder: URL
    let whole: [TraceRecord]
    let shards: [TraceRecordsFile.Contents]
    let resumeOutcome: TraceBatch.Outcome

    static let loaded: Result<RealRun, Error> = Result { try RealRun() }
    static func shared() throws -> RealRun { try loaded.get() }

    private init() throws {
        let model = try MethodsModel.model()
        let all = try Probe.read(contentsOf: Fixtures.packageRoot.appendingPathComponent("probes/facts.jsonl"))
        let probes = Array(all.prefix(3))
        let batch = TraceBatch(model: model, noiseLevel: 0.36, samples: 2, kinds: [.hidden])
        folder = try temporaryFolder()
        let wholeFile = folder.appendingPathComponent("records.jsonl")
        try batch.run(probes, recordsFile: wholeFile)
        resumeOutcome = try batch.run(probes, recordsFile: wholeFile)
        whole = try TraceRecord.read(contentsOf: wholeFile)
        var shards: [TraceRecordsFile.Contents] = []
        for i in 0..<2 {
            let shard = try Shard(index: i, count: 2)
            let file = folder.appendingPathComponent("shards/" + shard.fileName("records"))
            try batch.run(probes, shard: shard, recordsFile: file)
            shards.append(try TraceRecord.readFile(file))
        }
        self.shards = shards
    }
}
