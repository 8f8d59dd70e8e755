/// KLoB's relative standard deviation for unbiasedness (ALGORITHMS.md §6.3):
///
///     RSD = max(1 − SD_nonfactual / SD_factual, 0)
///
/// where SD of a set of prompts is the mean over its prompts of the standard deviation of that
/// prompt's per-layer scores. A locating method that is as peaked on random words (klob-u) as on
/// facts (klob-c, klob-r) scores 0; one that is flat on random words scores near 1. When
/// SD_factual is 0 (flat scores on facts) RSD is defined as 0: the method shows no contrast to
/// lose.
///
///     let result = try RSD.score(factual: factScores, nonFactual: randomWordScores)  // [prompt][L]
///
/// Provenance: KLoB (Ju et al. 2023) as quoted by its benchmark card, with KLoB's
/// "per-parameter" scores read as per-layer scores here so that RSim and RSD share their input.
public enum RSD {
    /// RSD with its two mean standard deviations and the number of prompts on each side.
    public struct Score: Sendable, Equatable, Codable {
        public var rsd: Double
        public var sdFactual: Double
        public var sdNonFactual: Double
        public var factualPrompts: Int
        public var nonFactualPrompts: Int
    }

    /// The population standard deviation (divisor n, numpy's default `ddof=0`); 0 for an empty
    /// list.
    public static func standardDeviation(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return variance.squareRoot()
    }

    /// The mean over prompts of each prompt's standard deviation across layers.
    /// - Parameter set: names the prompts in errors ("factual", "non-factual").
    /// - Throws: ``KLoBMetricError`` for no prompts, an empty vector or a non-finite score.
    public static func meanStandardDeviation(_ prompts: [[Double]], set: String = "") throws(KLoBMetricError) -> Double {
        guard !prompts.isEmpty else { throw .emptyPromptSet(set) }
        var sum = 0.0
        for (p, scores) in prompts.enumerated() {
            guard !scores.isEmpty else { throw .invalidPromptScores(set: set, prompt: p, reason: "the score vector is empty") }
            if let l = scores.firstIndex(where: { !$0.isFinite }) {
                throw .invalidPromptScores(set: set, prompt: p, reason: "the score at layer \(l) is not finite")
            }
            sum += standardDeviation(scores)
        }
        return sum / Double(prompts.count)
    }

    /// RSD from the factual and the non-factual prompts' per-layer scores.
    /// - Throws: ``KLoBMetricError`` for an empty side, unusable scores, or vectors of different
    ///   lengths (both sides must come from the same model).
    public static func score(factual: [[Double]], nonFactual: [[Double]]) throws(KLoBMetricError) -> Score {
        let sdFactual = try meanStandardDeviation(factual, set: "factual")
        let sdNonFactual = try meanStandardDeviation(nonFactual, set: "non-factual")
        let layers = factual[0].count
        for (set, prompts) in [("factual", factual), ("non-factual", nonFactual)] {
            if let p = prompts.firstIndex(where: { $0.count != layers }) {
                throw .invalidPromptScores(set: set, prompt: p, reason: "\(prompts[p].count) layer scores, but the first factual prompt has \(layers)")
            }
        }
        let rsd = sdFactual > 0 ? max(1 - sdNonFactual / sdFactual, 0) : 0
        return Score(rsd: rsd, sdFactual: sdFactual, sdNonFactual: sdNonFactual,
                     factualPrompts: factual.count, nonFactualPrompts: nonFactual.count)
    }
}
