import Foundation
import LocateBatch

/// What a batch causal trace adds up to (`summary.json` of `locate trace --probes` and
/// `locate trace merge`): counts, the facts the model gets wrong, the settings, and ROME's
/// average indirect effect per kind with the scalars its notebook prints (ALGORITHMS.md §1.7).
///
///     let summary = try TraceSummary(records: records, command: "locate trace merge …")
///     summary.effects[0].effect        // the heatmap of the first kind traced
///     try summary.jsonData()           // summary.json
public struct TraceSummary: Encodable, Sendable {
    /// A fact the model gets wrong: its id, the expected target and what the model said instead.
    public struct Skipped: Encodable, Sendable { public let id: String; public let target: String; public let continuation: String }
    /// Rows pooled into one token group.
    public struct GroupRows: Encodable, Sendable { public let group: String; public let rows: Int }
    /// One kind's average.
    public struct KindSummary: Encodable, Sendable {
        public let kind: String
        public let prompts: Int
        /// Rows pooled per token group, in ROME's row order.
        public let rowsPerGroup: [GroupRows]
        public let lowScore: Double
        public let highScore: Double
        public let scalars: AverageIndirectEffect.Scalars
        public let effect: [[Double]]
        enum CodingKeys: String, CodingKey {
            case kind, prompts, rowsPerGroup = "rows_per_group", lowScore = "low_score", highScore = "high_score", scalars, effect
        }
    }
    /// The format version of `summary.json`, 1.
    public let version = 1
    /// The model traced (a path), and the command that made the summary.
    public let model: String
    public let command: String
    /// Probes of the list, records at hand, probes without a record, and facts averaged.
    public let probes: Int
    public let records: Int
    public let missing: Int
    public let traced: Int
    public let skipped: [Skipped]
    public let settings: TraceSettings
    /// Seconds the records took to trace, summed.
    public let traceSeconds: Double
    /// The shared colour maximum: the hidden-state average's largest effect.
    public let vmax: Double
    public let kinds: [KindSummary]
    /// The averages themselves, per kind traced (not written to JSON: ``kinds`` holds their numbers).
    public let effects: [AverageIndirectEffect]

    enum CodingKeys: String, CodingKey {
        case version, model, command, probes, records, missing, traced, skipped, settings
        case traceSeconds = "trace_seconds", vmax, kinds
    }

    /// The summary of `records` (only facts the model knows are averaged).
    /// - Throws: ``TraceBatchError/noCorrectFacts(records:)`` when there is none;
    ///   ``AverageIndirectEffectError`` when the matrices cannot be averaged together.
    public init(records: [TraceRecord], command: String) throws {
        let effects = try AverageIndirectEffect.all(records: records)
        let known = records.filter(\.correct)
        guard let first = effects.first, let firstKnown = known.first else { throw TraceBatchError.noCorrectFacts(records: records.count) }
        let probeCount = records.map(\.probeCount).max() ?? records.count
        self.effects = effects
        self.vmax = (effects.first { $0.kind == .hidden } ?? first).maxEffect
        self.model = firstKnown.model
        self.command = command
        self.probes = probeCount
        self.records = records.count
        self.missing = max(0, probeCount - records.count)
        self.traced = known.count
        self.skipped = records.filter { !$0.correct }.map { Skipped(id: $0.id, target: $0.target, continuation: $0.continuation) }
        self.settings = firstKnown.settings
        self.traceSeconds = records.reduce(0) { $0 + $1.seconds }
        self.kinds = effects.map { effect in
            KindSummary(kind: effect.kind.rawValue, prompts: effect.promptCount,
                        rowsPerGroup: TokenGroup.allCases.map { GroupRows(group: $0.label, rows: effect.counts[$0.rawValue]) },
                        lowScore: effect.lowScore, highScore: effect.highScore, scalars: effect.scalars, effect: effect.effect)
        }
    }

    /// `summary.json`: pretty-printed, keys sorted, non-finite numbers as strings, a final newline.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
