import Foundation
import LocateBatch
import LocateModel

/// One fact of a batch causal trace (``TraceBatch``): the probe, what was traced and, when the
/// model knows the fact, the restored-probability matrix of every kind. One JSON object per line
/// of a records file; ROME keeps the same fields per fact and kind in an `.npz`
/// (ALGORITHMS.md §1.5).
///
/// A fact the model gets wrong (``correct`` false) is recorded too, without matrices, so that a
/// resumed run does not check it again and the summary can list it; its ``lowScore`` and
/// ``highScore`` are still p(target) corrupted and clean.
public struct TraceRecord: Codable, Sendable, Equatable {
    /// The format version of a record, 1.
    public static let currentVersion = 1

    /// ``currentVersion`` when written.
    public var version: Int
    /// The probe's position in the probe list traced (after `--limit`, before sharding).
    public var index: Int
    /// How many probes that list holds (the same in every shard), so a merge can tell what is missing.
    public var probeCount: Int
    /// The probe's fields (``Probe``) and its prompt, the template with the subject filled in.
    public var id: String
    public var relation: String
    public var subject: String
    public var prompt: String
    public var target: String
    /// The model file traced (a path).
    public var model: String
    /// The traced answer: the target with a leading space, as tokens and text.
    public var answerIDs: [Int]
    public var answer: String
    /// The model knows the fact (``knows(_:model:)``); only these records enter the averages.
    public var correct: Bool
    /// The model's greedy continuation that decided ``correct``.
    public var continuation: String
    /// The prompt's tokens [T] and each decoded on its own.
    public var tokenIDs: [Int]
    public var tokens: [String]
    /// The subject's tokens b..<e (JSON `[b, e]`).
    public var subjectRange: Range<Int>
    /// p(answer) with the subject corrupted (mean over the samples), and clean.
    public var lowScore: Float
    public var highScore: Float
    /// The trace's settings: noise standard deviation, corrupted samples, restored layers per
    /// MLP/attention cell, and the seed of the noise (numpy `RandomState`).
    public var noiseLevel: Double
    public var samples: Int
    public var window: Int
    public var seed: UInt32
    /// Restored p(answer), scores[t][l] ([T][L]), per kind; nil when not traced.
    public var hidden: [[Float]]?
    public var mlp: [[Float]]?
    public var attn: [[Float]]?
    /// Wall-clock seconds this fact took (knows + trace); not part of the result.
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case version, index, probeCount = "probe_count", id, relation, subject, prompt, target, model
        case answerIDs = "answer_ids", answer, correct, continuation, tokenIDs = "token_ids", tokens
        case subjectRange = "subject_range", lowScore = "low_score", highScore = "high_score"
        case noiseLevel = "noise_level", samples, window, seed, hidden, mlp, attn, seconds
    }

    /// A record; see the properties for the meaning of each argument.
    public init(index: Int, probeCount: Int, id: String, relation: String, subject: String, prompt: String, target: String,
                model: String, answerIDs: [Int], answer: String, correct: Bool, continuation: String, tokenIDs: [Int],
                tokens: [String], subjectRange: Range<Int>, lowScore: Float, highScore: Float, noiseLevel: Double,
                samples: Int, window: Int, seed: UInt32, hidden: [[Float]]? = nil, mlp: [[Float]]? = nil,
                attn: [[Float]]? = nil, seconds: Double = 0, version: Int = TraceRecord.currentVersion) {
        self.version = version; self.index = index; self.probeCount = probeCount; self.id = id; self.relation = relation
        self.subject = subject; self.prompt = prompt; self.target = target; self.model = model; self.answerIDs = answerIDs
        self.answer = answer; self.correct = correct; self.continuation = continuation; self.tokenIDs = tokenIDs
        self.tokens = tokens; self.subjectRange = subjectRange; self.lowScore = lowScore; self.highScore = highScore
        self.noiseLevel = noiseLevel; self.samples = samples; self.window = window; self.seed = seed
        self.hidden = hidden; self.mlp = mlp; self.attn = attn; self.seconds = seconds
    }

    /// The matrix of one kind, or nil when that kind was not traced.
    public func scores(_ kind: CausalTrace.Kind) -> [[Float]]? {
        switch kind {
        case .hidden: hidden
        case .mlp: mlp
        case .attn: attn
        }
    }

    /// Sets the matrix of one kind.
    public mutating func setScores(_ scores: [[Float]]?, for kind: CausalTrace.Kind) {
        switch kind {
        case .hidden: hidden = scores
        case .mlp: mlp = scores
        case .attn: attn = scores
        }
    }

    /// The kinds with a matrix, in ``CausalTrace/Kind/allCases`` order.
    public var tracedKinds: [CausalTrace.Kind] { CausalTrace.Kind.allCases.filter { scores($0) != nil } }

    /// The record as one line of JSON, newline included (keys sorted, so files diff cleanly).
    public func jsonLine() throws -> Data { try JSONLines.encode(self) }
}

extension TraceRecord: Identifiable {
    /// The records file's kind and version: "trace", ``currentVersion``.
    public static let format = RecordsFormat(kind: "trace", version: currentVersion)

    /// The settings the record was traced with (``TraceSettings/kinds`` nil for a fact the model
    /// gets wrong, which has no matrices).
    public var settings: TraceSettings {
        TraceSettings(model: URL(fileURLWithPath: model).lastPathComponent, noiseLevel: noiseLevel, samples: samples,
                      window: window, seed: seed, kinds: correct ? tracedKinds : nil)
    }
}

/// What must agree between records averaged together, or between a records file and a run
/// resuming it.
public struct TraceSettings: Codable, Sendable, Equatable {
    /// The model's file name (not its folder, so records from another machine combine).
    public var model: String
    /// As ``TraceRecord/noiseLevel``, ``TraceRecord/samples``, ``TraceRecord/window``, ``TraceRecord/seed``.
    public var noiseLevel: Double
    public var samples: Int
    public var window: Int
    public var seed: UInt32
    /// The traced kinds; nil when unknown (a record of a fact the model gets wrong).
    public var kinds: [CausalTrace.Kind]?

    enum CodingKeys: String, CodingKey {
        case model, noiseLevel = "noise_level", samples, window, seed, kinds
    }

    /// Settings; see the properties (and ``TraceRecord``'s) for the meaning of each argument.
    public init(model: String, noiseLevel: Double, samples: Int, window: Int, seed: UInt32, kinds: [CausalTrace.Kind]?) {
        self.model = model; self.noiseLevel = noiseLevel; self.samples = samples; self.window = window
        self.seed = seed; self.kinds = kinds
    }

    /// The first setting in which the two differ, as (name, this value, the other's value); kinds
    /// are compared only when both are known.
    public func difference(from other: TraceSettings) -> (setting: String, mine: String, other: String)? {
        if model != other.model { return ("model", model, other.model) }
        if abs(noiseLevel - other.noiseLevel) > 1e-12 * max(1, abs(noiseLevel)) {
            return ("noise level", "\(noiseLevel)", "\(other.noiseLevel)")
        }
        if samples != other.samples { return ("samples", "\(samples)", "\(other.samples)") }
        if window != other.window { return ("window", "\(window)", "\(other.window)") }
        if seed != other.seed { return ("seed", "\(seed)", "\(other.seed)") }
        if let mine = kinds, let theirs = other.kinds, mine != theirs {
            return ("kinds", mine.map(\.rawValue).joined(separator: ","), theirs.map(\.rawValue).joined(separator: ","))
        }
        return nil
    }

    /// The first record whose settings differ from the first record's, with the difference.
    public static func firstMismatch(in records: [TraceRecord]) -> (record: TraceRecord, setting: String, mine: String, other: String)? {
        guard let first = records.first else { return nil }
        var reference = first.settings
        for record in records.dropFirst() {
            if reference.kinds == nil, record.correct { reference.kinds = record.tracedKinds }
            if let d = reference.difference(from: record.settings) { return (record, d.setting, d.mine, d.other) }
        }
        return nil
    }
}
