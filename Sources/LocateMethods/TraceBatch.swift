import Foundation
import LocateBatch
import LocateModel

/// Causal tracing over a probe set, one fact at a time, appending a ``TraceRecord`` per fact to
/// a JSON-lines file: ROME's `experiments/causal_trace.py` loop over `known_1000.json`
/// (ALGORITHMS.md §1.2–§1.5), with this project's ``knows(_:model:)`` rule for skipping facts the
/// model gets wrong. The answer traced is the probe's target (ROME traces the expected
/// attribute), scored over all of its tokens.
///
///     let level = try TraceBatch.noiseLevel(for: probes, model: model)     // ROME's s3
///     let batch = TraceBatch(model: model, noiseLevel: level)
///     let outcome = try batch.run(probes, shard: try Shard(parsing: "0/4"), recordsFile: url,
///                                 progress: ProgressReporter(label: "trace", unit: "facts"))
///
/// The records file is a ``TraceRecordsFile`` (LocateBatch's append-only JSON lines with the
/// ``settings`` in its header). A run skips the probe ids already in the file, so an interrupted
/// run resumes where it stopped; a file traced with other settings is refused.
public struct TraceBatch: Sendable {
    /// What a run did.
    public struct Outcome: Sendable, Equatable {
        /// Facts traced by this run.
        public var traced: Int
        /// Facts this run found the model gets wrong (recorded without matrices).
        public var skipped: Int
        /// The shard's probes already in the records file at the start.
        public var resumed: Int
        /// The shard's probes.
        public var total: Int
        /// Wall-clock seconds of the run.
        public var seconds: TimeInterval
        /// The records of the shard's probes, in the file (resumed and traced), in file order.
        public var records: [TraceRecord]
    }

    public let model: Transformer
    /// ROME's noise level: the standard deviation of the noise added to the subject embeddings.
    public var noiseLevel: Double
    /// Corrupted rows per cell (ROME: 10).
    public var samples: Int
    /// Restored layers per MLP/attention cell (ROME: 10).
    public var window: Int
    /// The kinds traced, in hidden, mlp, attn order.
    public var kinds: [CausalTrace.Kind]
    /// Seed of the noise: numpy's `RandomState(seed)`, one fresh stream per fact (ROME: 1).
    public var seed: UInt32

    /// A batch; see the properties for the meaning of each argument.
    public init(model: Transformer, noiseLevel: Double, samples: Int = 10, window: Int = 10,
                kinds: [CausalTrace.Kind] = CausalTrace.Kind.allCases, seed: UInt32 = 1) {
        self.model = model; self.noiseLevel = noiseLevel; self.samples = samples; self.window = window
        self.kinds = CausalTrace.Kind.allCases.filter(kinds.contains); self.seed = seed
    }

    /// What this batch writes into every record.
    public var settings: TraceSettings {
        TraceSettings(model: URL(fileURLWithPath: model.source).lastPathComponent, noiseLevel: noiseLevel, samples: samples,
                      window: window, seed: seed, kinds: kinds)
    }

    /// ROME's `s<multiplier>` noise level over every subject of the probe set (not one shard's,
    /// so that all shards use the same level).
    public static func noiseLevel(for probes: [Probe], model: Transformer, multiplier: Double = 3) throws -> Double {
        try CausalTrace(model: model).noiseLevel(subjects: probes.map(\.subject), multiplier: multiplier)
    }

    /// The probes of a shard with their positions in the list.
    public static func select(_ probes: [Probe], shard: Shard) -> [(index: Int, probe: Probe)] {
        shard.select(probes).map { (index: $0.offset, probe: $0.element) }
    }

    /// Checks whether the model knows the fact and, if so, traces it with every kind.
    /// - Parameters:
    ///   - index: the probe's position in the list, and ``TraceRecord/probeCount`` the list's length.
    ///   - progress: fraction (0…1) of the trace done.
    public func trace(_ probe: Probe, index: Int = 0, probeCount: Int = 1,
                      progress: (Double) -> Void = { _ in }) throws -> TraceRecord {
        let start = Date()
        let tracer = CausalTrace(model: model, window: window)
        let ids = try model.encode(probe.prompt)
        let known = try knows(probe, model: model)
        let answer = try tracer.answer(for: ids, target: probe.target)
        // subjectRange counts tokens without a BOS; shift by what encode prepends
        let offset = ids.count - model.tokenizer.encode(probe.prompt).ids.count
        let plain = try tracer.subjectRange(probe.subject, in: probe.prompt)
        let subject = (plain.lowerBound + offset)..<(plain.upperBound + offset)
        let noise = CausalTrace.Noise.rome(level: noiseLevel, samples: samples, subjectTokens: subject.count,
                                           width: model.config.embeddingLength, seed: seed)
        let traceCase = CausalTrace.Case(tokens: ids, subject: subject, answer: answer.ids)
        var record = TraceRecord(
            index: index, probeCount: probeCount, id: probe.id, relation: probe.relation,
            subject: probe.subject, prompt: probe.prompt, target: probe.target, model: model.source,
            answerIDs: answer.ids, answer: answer.text, correct: known.known, continuation: known.continuation,
            tokenIDs: ids, tokens: ids.map { model.tokenizer.decodePiece($0) }, subjectRange: subject,
            lowScore: 0, highScore: 0, noiseLevel: noiseLevel, samples: samples, window: window, seed: seed)
        if known.known && !kinds.isEmpty {
            let results = try tracer.run(traceCase, noise: noise, kinds: kinds) { done, total in progress(Double(done) / Double(max(total, 1))) }
            for result in results { record.setScores(result.scores, for: result.kind) }
            record.lowScore = results[0].lowScore
            record.highScore = results[0].highScore
        } else {
            record.lowScore = try tracer.corruptedScore(traceCase, noise: noise)
            record.highScore = try cleanScore(traceCase)
        }
        record.seconds = Date().timeIntervalSince(start)
        return record
    }

    /// p(answer) of the clean prompt, over all answer tokens by teacher forcing.
    func cleanScore(_ c: CausalTrace.Case) throws -> Float {
        let positions = Array((c.tokens.count - 1)..<(c.tokens.count - 1 + c.answer.count))
        let run = try model.run(tokens: [c.tokens + c.answer.dropLast()], RunOptions(logits: .at(positions)))
        var logp = 0.0
        for (k, p) in positions.enumerated() { logp += Double(run.logProbability(of: c.answer[k], position: p) ?? -.infinity) }
        return Float(Foundation.exp(logp))
    }

    /// Opens (or creates) the records file of this batch's ``settings`` to resume it, or with
    /// ``RecordsFile/OpenMode/overwrite`` to start it over; a torn last line is cut off.
    /// - Throws: ``RecordsError`` (other settings, a malformed line, …) and
    ///   ``TraceBatchError/legacyRecords(path:)`` for a headerless file of an older locate.
    public func open(recordsFile url: URL, mode: TraceRecordsFile.OpenMode = .resume) throws -> TraceRecordsFile {
        do { return try TraceRecordsFile.open(url, format: TraceRecord.format, settings: settings, mode: mode) } catch .missingHeader {
            throw TraceBatchError.legacyRecords(path: url.path)
        }
    }

    /// What is left of a shard given its records file: the probes whose id is not in the file yet,
    /// and the file's records of the shard's probes.
    public static func pending(_ probes: [Probe], shard: Shard, in file: TraceRecordsFile) -> (todo: [(index: Int, probe: Probe)], done: [TraceRecord]) {
        let selected = select(probes, shard: shard)
        let recorded = Dictionary(file.records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return (selected.filter { recorded[$0.probe.id] == nil }, selected.compactMap { recorded[$0.probe.id] })
    }

    /// Traces the shard's probes, appending a record per probe to `recordsFile` (created when
    /// missing) as each finishes; probe ids already in the file are skipped.
    /// - Parameters:
    ///   - mode: resume the file (the default) or start it over (`--force`).
    ///   - progress: where progress is reported (none by default).
    /// - Throws: ``RecordsError`` and ``TraceBatchError`` when the file cannot be read or written
    ///   or holds records traced with other settings; model errors of a trace.
    @discardableResult
    public func run(_ probes: [Probe], shard: Shard = .whole, recordsFile url: URL, mode: TraceRecordsFile.OpenMode = .resume,
                    progress: ProgressReporter? = nil) throws -> Outcome {
        let file = try open(recordsFile: url, mode: mode)
        let done = file.doneIDs
        let fill = try file.fill(Self.select(probes, shard: shard), name: \.probe.id, isDone: { done.contains($0.probe.id) },
                                 progress: progress, skipped: { !$0.correct }) { item, fraction in
            try trace(item.probe, index: item.index, probeCount: probes.count, progress: fraction)
        }
        let wanted = Set(Self.select(probes, shard: shard).map(\.probe.id))
        return Outcome(traced: fill.made - fill.skipped, skipped: fill.skipped, resumed: fill.resumed, total: fill.total,
                       seconds: fill.seconds, records: latestByID(file.records).filter { wanted.contains($0.id) })
    }
}
