import Foundation

/// ROME's six token groups of the average-indirect-effect figures (ALGORITHMS.md §1.7), top to
/// bottom.
public enum TokenGroup: Int, CaseIterable, Codable, Sendable {
    case firstSubject, middleSubject, lastSubject, firstSubsequent, further, last

    /// The row label of ROME's figures ("First subject token", …).
    public var label: String {
        switch self {
        case .firstSubject: "First subject token"
        case .middleSubject: "Middle subject tokens"
        case .lastSubject: "Last subject token"
        case .firstSubsequent: "First subsequent token"
        case .further: "Further tokens"
        case .last: "Last token"
        }
    }

    /// The rows of a T-token prompt with subject b..<e that the group pools, by ROME's indices
    /// (`average_causal_effects.ipynb`, `read_knowlege`): first subject b; middle b+1..<e−1, every
    /// row counted; last subject e−1; first subsequent e; further e+1..<T−1; last T−1.
    ///
    /// As in ROME a row can count in two groups: a one-token subject's row is both its first and
    /// last token, and when the subject ends just before the last token, that token is both the
    /// first subsequent and the last token. Rows before the subject are in no group. A subject
    /// ending at the last token (where ROME's index e is past the end) has no first subsequent
    /// token; its last row is the last subject token and the last token.
    public func rows(tokenCount T: Int, subject: Range<Int>) -> [Int] {
        let b = subject.lowerBound, e = subject.upperBound
        guard !subject.isEmpty, b >= 0, e <= T else { return [] }
        switch self {
        case .firstSubject: return [b]
        case .middleSubject: return b + 1 < e - 1 ? Array((b + 1)..<(e - 1)) : []
        case .lastSubject: return [e - 1]
        case .firstSubsequent: return e < T ? [e] : []
        case .further: return e + 1 < T - 1 ? Array((e + 1)..<(T - 1)) : []
        case .last: return [T - 1]
        }
    }
}

/// ROME's average indirect effect of one kind over the facts the model knows
/// (`notebooks/average_causal_effects.ipynb`, ALGORITHMS.md §1.7): every fact's restored
/// probabilities pooled into the six ``TokenGroup``s, averaged per group and layer, minus the
/// average corrupted probability, clipped at 0; and the scalars the notebook prints.
///
///     let effects = try AverageIndirectEffect.all(records: records)
///     effects[0].effect        // [6][L], the heatmap
///     effects[0].scalars.bestLastSubject.layer
public struct AverageIndirectEffect: Sendable {
    /// The kind averaged.
    public let kind: CausalTrace.Kind
    /// Restored layers per MLP/attention cell (ROME: 10).
    public let window: Int
    /// Facts averaged (known, with this kind's matrix).
    public let promptCount: Int
    /// Rows pooled per group (a fact adds one row to each group, except middle and further
    /// tokens, which add one per row, and an empty group, which adds none).
    public let counts: [Int]
    /// Group mean restored probability, [6][L]; NaN for a group without rows.
    public let mean: [[Double]]
    /// The average indirect effect, `max(0, mean − mean low score)`, [6][L]; NaN stays NaN.
    public let effect: [[Double]]
    /// The restored probabilities pooled per group and layer, samples[g][l] (for confidence bands).
    public let samples: [[[Double]]]
    /// Mean corrupted (low) and clean (high) p(answer) over the facts.
    public let lowScore: Double
    public let highScore: Double
    public let scalars: Scalars

    /// The numbers ROME's notebook prints per kind.
    public struct Scalars: Codable, Sendable, Equatable {
        /// A layer and the value there.
        public struct Best: Codable, Sendable, Equatable {
            public var value: Double
            public var layer: Int
        }
        /// mean(high) − mean(low).
        public var averageTotalEffect: Double
        /// max over layers of (group mean − mean low) at the last subject token, and its layer (not clipped).
        public var bestLastSubject: Best
        /// The same at the last token.
        public var bestLastToken: Best
        /// Mean over facts of each fact's largest restored probability anywhere, at the last
        /// subject token, and at the last token ("average best-fixed score").
        public var averageBestRestored: Double
        public var averageBestRestoredLastSubject: Double
        public var averageBestRestoredLastToken: Double

        enum CodingKeys: String, CodingKey {
            case averageTotalEffect = "average_total_effect", bestLastSubject = "best_last_subject"
            case bestLastToken = "best_last_token", averageBestRestored = "average_best_restored"
            case averageBestRestoredLastSubject = "average_best_restored_last_subject"
            case averageBestRestoredLastToken = "average_best_restored_last_token"
        }
    }

    /// The average over the known facts with a matrix of `kind`, or nil when there is none.
    /// - Throws: ``AverageIndirectEffectError`` when the matrices have different layer counts or
    ///   do not match their prompts' token counts.
    public init?(records: [TraceRecord], kind: CausalTrace.Kind) throws(AverageIndirectEffectError) {
        let used = records.filter { $0.correct && $0.scores(kind) != nil }
        guard let first = used.first, let firstScores = first.scores(kind) else { return nil }
        let L = firstScores.first?.count ?? 0
        var samples = Array(repeating: Array(repeating: [Double](), count: L), count: TokenGroup.allCases.count)
        var low = 0.0, high = 0.0, best = 0.0, bestSubject = 0.0, bestLast = 0.0
        for record in used {
            let scores = record.scores(kind)!
            let T = scores.count
            guard T == record.tokens.count, record.subjectRange.upperBound <= T, !record.subjectRange.isEmpty else {
                throw .shape(id: record.id, reason: "\(T) rows for \(record.tokens.count) tokens with subject \(record.subjectRange)")
            }
            guard scores.allSatisfy({ $0.count == L }) else {
                throw .shape(id: record.id, reason: "rows of other than \(L) layers (the first fact's, \(first.id))")
            }
            for group in TokenGroup.allCases {
                for t in group.rows(tokenCount: T, subject: record.subjectRange) {
                    for l in 0..<L { samples[group.rawValue][l].append(Double(scores[t][l])) }
                }
            }
            low += Double(record.lowScore); high += Double(record.highScore)
            best += Double(scores.joined().max() ?? 0)
            bestSubject += Double(scores[record.subjectRange.upperBound - 1].max() ?? 0)
            bestLast += Double(scores[T - 1].max() ?? 0)
        }
        let n = Double(used.count)
        low /= n; high /= n
        let mean = samples.map { group in group.map { $0.isEmpty ? Double.nan : $0.reduce(0, +) / Double($0.count) } }
        let lowScore = low
        self.kind = kind
        self.window = first.window
        self.promptCount = used.count
        self.counts = samples.map { $0.first?.count ?? 0 }
        self.mean = mean
        self.effect = mean.map { row in row.map { $0.isNaN ? .nan : Swift.max(0, $0 - lowScore) } }
        self.samples = samples
        self.lowScore = low
        self.highScore = high
        func bestOf(_ group: TokenGroup) -> Scalars.Best {
            let row = mean[group.rawValue]
            var layer = 0
            for l in row.indices where row[l] > row[layer] { layer = l }
            return Scalars.Best(value: (row.isEmpty ? .nan : row[layer]) - lowScore, layer: layer)
        }
        self.scalars = Scalars(averageTotalEffect: high - low, bestLastSubject: bestOf(.lastSubject), bestLastToken: bestOf(.last),
                               averageBestRestored: best / n, averageBestRestoredLastSubject: bestSubject / n,
                               averageBestRestoredLastToken: bestLast / n)
    }

    /// The averages of every kind some record has, in hidden, mlp, attn order.
    public static func all(records: [TraceRecord]) throws(AverageIndirectEffectError) -> [AverageIndirectEffect] {
        var out: [AverageIndirectEffect] = []
        for kind in CausalTrace.Kind.allCases {
            if let effect = try AverageIndirectEffect(records: records, kind: kind) { out.append(effect) }
        }
        return out
    }

    /// The line-plot values of a group: each pooled sample minus the mean low score (not clipped,
    /// as ROME's line plots), samples[l] per layer.
    public func indirectEffectSamples(_ group: TokenGroup) -> [[Double]] {
        samples[group.rawValue].map { layer in layer.map { $0 - lowScore } }
    }

    /// The largest finite ``effect`` (0 when none): the shared colour maximum, taken from the
    /// hidden-state plot as ROME does.
    public var maxEffect: Double {
        effect.joined().filter(\.isFinite).max() ?? 0
    }
}

/// Records that cannot be averaged together.
public enum AverageIndirectEffectError: Error, CustomStringConvertible, Sendable, Equatable {
    case shape(id: String, reason: String)

    public var description: String {
        switch self {
        case let .shape(id, reason): "the trace record \"\(id)\" cannot be averaged with the others: \(reason)"
        }
    }
}
