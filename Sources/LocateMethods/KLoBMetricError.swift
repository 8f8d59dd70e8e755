/// The inputs of ``RSim`` or ``RSD`` cannot give a score. Items and prompts are 0-based positions
/// in the lists passed in.
public enum KLoBMetricError: Error, Sendable, Equatable, CustomStringConvertible {
    /// RSim compares each item with the others: it needs at least two items.
    case tooFewItems(Int)
    /// An item has no candidate pair, so Sim_cand is undefined.
    case noPairs(item: Int)
    /// A candidate pair names a prompt the item does not have, or the same prompt twice.
    case invalidPair(item: Int, pair: CandidatePair, prompts: Int)
    /// A prompt's score vector is empty.
    case noLayers(item: Int, prompt: Int)
    /// A prompt's score vector has another length than the first prompt's.
    case layerCountMismatch(item: Int, prompt: Int, expected: Int, found: Int)
    /// A score is NaN or infinite (its rank would be arbitrary).
    case nonFiniteScore(item: Int, prompt: Int, layer: Int)
    /// k must be in 1...L.
    case kOutOfRange(k: Int, layers: Int)
    /// A sample of other items must hold at least one.
    case invalidSampleSize(Int)
    /// RSD got no prompts for one side ("factual" or "non-factual").
    case emptyPromptSet(String)
    /// An RSD prompt's scores are unusable.
    case invalidPromptScores(set: String, prompt: Int, reason: String)

    public var description: String {
        switch self {
        case .tooFewItems(let n): return "RSim needs at least 2 items to compare with each other, got \(n)"
        case .noPairs(let item): return "item \(item) has no candidate pair (klob-c needs 2 prompts, klob-r a single prompt and a chain prompt)"
        case let .invalidPair(item, pair, prompts):
            return "item \(item): candidate pair (\(pair.a), \(pair.b)) is not two different prompts among its \(prompts)"
        case let .noLayers(item, prompt): return "item \(item), prompt \(prompt): the score vector is empty"
        case let .layerCountMismatch(item, prompt, expected, found):
            return "item \(item), prompt \(prompt): \(found) layer scores, but the first prompt has \(expected)"
        case let .nonFiniteScore(item, prompt, layer): return "item \(item), prompt \(prompt), layer \(layer): the score is not finite"
        case let .kOutOfRange(k, layers): return "k = \(k) is outside 1...\(layers) (the number of layers)"
        case .invalidSampleSize(let n): return "a sample of other items must hold at least 1, got \(n)"
        case .emptyPromptSet(let set): return "RSD needs \(set) prompts, got none"
        case let .invalidPromptScores(set, prompt, reason): return "\(set) prompt \(prompt): \(reason)"
        }
    }
}
