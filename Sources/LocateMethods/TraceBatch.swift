import Foundation
import LocateModel

/// Causal tracing over a probe set, one fact at a time, appending a ``TraceRecord`` per fact to
/// a JSON-lines file: ROME's `experiments/causal_trace.py` loop over `known_1000.json`
/// (ALGORITHMS.md §1.2–§1.5), with this project's ``knows(_:model:)`` rule for skipping facts the
/// model gets wrong. The answer traced is the probe's target (ROME traces the expected
/// attribute), scored over all of its tokens.
///
///     let level = try TraceBatch.noiseLevel(for: probes, model: model)     // ROME's s3
///     let batch = TraceBatch(model: model, noiseLevel: level)
///     let outcome = try batch.run(probes, shard: .init(index: 0, count: 4), recordsFile: url) { print($0.done) }
///
/// A run skips the probe ids already in the file, so an interrupted run resumes where it stopped.
public struct TraceBatch: Sendable {
    /// Probes whose position in the list, modulo ``count``, is ``index``.
    public struct Shard: Sendable, Equatable, CustomStringConvertible {
        public let index: Int
        public let count: Int
        /// - Throws: ``TraceBatchError/invalidShard(index:count:)`` unless 0 ≤ index < count.
        public init(index: Int, count: Int) throws(TraceBatchError) {
            guard count >= 1, index >= 0, index < count else { throw .invalidShard(index: index, count: count) }
            self.index = index; self.count = count
        }
        private init(unchecked index: Int, _ count: Int) { self.index = index; self.count = count }
        /// Every probe.
        public static let whole = Shard(unchecked: 0, 1)
        public var description: String { "\(index)/\(count)" }
    }

    /// Where a run is, for a progress bar.
    public struct Progress: Sendable {
        /// Probes of the shard finished (traced, skipped or found already in the file) and in all.
        public var done: Int
        public var total: Int
        /// Facts the model gets wrong, so far (this run and the file's).
        public var skipped: Int
        /// Probes found already in the records file at the start.
        public var resumed: Int
        /// Seconds since this run started.
        public var elapsed: TimeInterval
        /// The probe being traced, and how much of its trace is done (0…1).
        public var current: String?
        public var currentFraction: Double

        /// Seconds still to go, extrapolated from this run's pace; nil before anything was measured.
        public var eta: TimeInterval? {
            let measured = Double(done - resumed) + currentFraction
            guard measured > 0.05, elapsed > 0 else { return nil }
            return elapsed / measured * max(0, Double(total - done) - currentFraction)
        }
    }

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
        probes.enumerated().filter { $0.offset % shard.count == shard.index }.map { (index: $0.offset, probe: $0.element) }
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

    /// What is left of a shard given its records file: the probes whose id is not in the file yet,
    /// and the file's records of the shard's probes. A missing file is an empty one; an unfinished
    /// last line (a run killed while writing) is cut off the file.
    /// - Throws: ``TraceBatchError/settingsMismatch(path:setting:file:run:)`` when a record of the
    ///   file was traced with other `settings`; read errors.
    public static func pending(_ probes: [Probe], shard: Shard, recordsFile url: URL,
                               settings: TraceSettings) throws(TraceBatchError) -> (todo: [(index: Int, probe: Probe)], done: [TraceRecord]) {
        let selected = select(probes, shard: shard)
        guard FileManager.default.fileExists(atPath: url.path) else { return (selected, []) }
        let existing = try TraceRecord.read(contentsOf: url, repair: true)
        for record in existing {
            if let d = record.settings.difference(from: settings) {
                throw .settingsMismatch(path: url.path, setting: d.setting, file: d.mine, run: d.other)
            }
        }
        let recorded = Dictionary(existing.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return (selected.filter { recorded[$0.probe.id] == nil }, selected.compactMap { recorded[$0.probe.id] })
    }

    /// Traces the shard's probes, appending a record per probe to `recordsFile` (created when
    /// missing) as each finishes; probe ids already in the file are skipped.
    /// - Throws: ``TraceBatchError`` when the file cannot be read or written or holds records
    ///   traced with other settings; model errors of a trace.
    @discardableResult
    public func run(_ probes: [Probe], shard: Shard = .whole, recordsFile url: URL,
                    progress: (Progress) -> Void = { _ in }) throws -> Outcome {
        let start = Date()
        let (todo, resumed) = try Self.pending(probes, shard: shard, recordsFile: url, settings: settings)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: url.path) {
                guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                    throw TraceBatchError.unwritable(path: url.path, reason: "cannot create the file (is the folder writable?)")
                }
            }
        } catch let error as TraceBatchError { throw error } catch {
            throw TraceBatchError.unwritable(path: url.path, reason: error.localizedDescription)
        }
        let handle: FileHandle
        do { handle = try FileHandle(forWritingTo: url); try handle.seekToEnd() } catch {
            throw TraceBatchError.unwritable(path: url.path, reason: error.localizedDescription)
        }
        defer { try? handle.close() }

        let total = todo.count + resumed.count
        var state = Progress(done: resumed.count, total: total, skipped: resumed.filter { !$0.correct }.count,
                             resumed: resumed.count, elapsed: 0, current: nil, currentFraction: 0)
        var outcome = Outcome(traced: 0, skipped: 0, resumed: resumed.count, total: total, seconds: 0)
        progress(state)
        for (index, probe) in todo {
            state.current = probe.id; state.currentFraction = 0
            state.elapsed = Date().timeIntervalSince(start)
            progress(state)
            let record = try trace(probe, index: index, probeCount: probes.count) { fraction in
                state.currentFraction = fraction
                state.elapsed = Date().timeIntervalSince(start)
                progress(state)
            }
            do { try handle.write(contentsOf: try record.jsonLine()); try handle.synchronize() } catch {
                throw TraceBatchError.unwritable(path: url.path, reason: error.localizedDescription)
            }
            if record.correct { outcome.traced += 1 } else { outcome.skipped += 1; state.skipped += 1 }
            state.done += 1; state.current = nil; state.currentFraction = 0
            state.elapsed = Date().timeIntervalSince(start)
            progress(state)
        }
        outcome.seconds = Date().timeIntervalSince(start)
        return outcome
    }
}
