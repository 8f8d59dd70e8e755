import Foundation
import LocateModel
import LocateTokenizer

/// Whether the model knows a fact, and what it said instead when it does not.
public struct KnownResult: Sendable, Equatable, Codable {
    /// The probe that was asked.
    public let probe: Probe
    /// The greedy continuation, stripped of leading whitespace, starts with the target's first
    /// word, and the word ends there (`Paris,` and `Paris.` count; `Parisian` does not).
    public let known: Bool
    /// The model's most likely next token after the prompt (the argmax), its text and probability.
    public let firstTokenID: Int
    public let firstToken: String
    public let probability: Float
    /// The greedy tokens generated to decide (at least 1, at most ``maxKnowsTokens``) and their text.
    public let continuationIDs: [Int]
    public let continuation: String

    public init(probe: Probe, known: Bool, firstTokenID: Int, firstToken: String, probability: Float,
                continuationIDs: [Int], continuation: String) {
        self.probe = probe
        self.known = known
        self.firstTokenID = firstTokenID
        self.firstToken = firstToken
        self.probability = probability
        self.continuationIDs = continuationIDs
        self.continuation = continuation
    }
}

/// The most greedy tokens ``knows(_:model:)`` generates for one probe.
public let maxKnowsTokens = 8

/// Whether the model knows the fact: the greedy continuation of the probe's prompt, stripped of
/// leading whitespace, starts with the target's first word as a whole word.
///
/// ROME compares the single argmax token with the expected attribute (ALGORITHMS.md §1.2, §1.8);
/// with this model's tokenizer a word can take several tokens (every digit is one, and a year
/// begins with a bare space token), so greedy tokens are generated until the continuation covers
/// the first word and one character past it, or diverges from it, or the end-of-text token
/// appears, up to ``maxKnowsTokens``. One forward for the prompt, then one position per token.
public func knows(_ probe: Probe, model: Transformer) throws -> KnownResult {
    let prompt = try model.encode(probe.prompt)
    var tokens = prompt
    var result = try model.run(tokens: [tokens], RunOptions(keepState: true))
    let probabilities = result.probabilities(row: 0)!
    let first = argmax(probabilities)
    let word = probe.targetFirstWord
    let stops = Set([model.tokenizer.eosTokenID].compactMap { $0 } + [model.tokenizer.id(for: "<|im_end|>")].compactMap { $0 })
    var generated = [first]
    var verdict: KnowsVerdict
    while true {
        let text = model.tokenizer.decode(generated, skipSpecialTokens: true)
        let ended = stops.contains(generated.last!) || generated.count >= maxKnowsTokens
            || tokens.count + 1 >= model.config.contextLength
        verdict = judge(text, word: word, ended: ended)
        if verdict != .undecided { break }
        tokens.append(generated.last!)
        let resume = Resume(state: result.state!, layer: 0, position: tokens.count - 1)
        result = try model.run(tokens: [tokens], RunOptions(keepState: true, resume: resume))
        generated.append(argmax(result.logits(row: 0)!))
    }
    return KnownResult(probe: probe, known: verdict == .known, firstTokenID: first,
                       firstToken: model.tokenizer.decodePiece(first), probability: probabilities[first],
                       continuationIDs: generated, continuation: model.tokenizer.decode(generated, skipSpecialTokens: true))
}

/// ``knows(_:model:)`` for each probe in order; `progress` is called after each with
/// (done, total, result).
public func knows(_ probes: [Probe], model: Transformer,
                  progress: ((Int, Int, KnownResult) -> Void)? = nil) throws -> [KnownResult] {
    var out: [KnownResult] = []
    out.reserveCapacity(probes.count)
    for probe in probes {
        let r = try knows(probe, model: model)
        out.append(r)
        progress?(out.count, probes.count, r)
    }
    return out
}

enum KnowsVerdict: Equatable { case known, unknown, undecided }

/// Decides from the continuation so far. `ended`: no more tokens will come, so a continuation
/// that equals the word exactly counts as known.
func judge(_ continuation: String, word: String, ended: Bool) -> KnowsVerdict {
    guard !word.isEmpty else { return .unknown }
    let text = Substring(continuation).drop(while: \.isWhitespace)
    if text.count > word.count {
        guard text.hasPrefix(word) else { return .unknown }
        let next = text[text.index(text.startIndex, offsetBy: word.count)]
        if next == "\u{FFFD}" && !ended { return .undecided }   // a character cut between tokens
        return next.isLetter || next.isNumber ? .unknown : .known
    }
    if text.count == word.count {
        guard text == word else { return .unknown }
        return ended ? .known : .undecided
    }
    // Shorter than the word: undecided while it is still a prefix of it.
    if !text.isEmpty && !word.hasPrefix(text) { return .unknown }
    return ended ? .unknown : .undecided
}

private func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in 1 ..< values.count where values[i] > values[best] { best = i }
    return best
}
