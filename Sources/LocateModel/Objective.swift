/// A scalar to differentiate: a weighted sum of terms on the model's next-token distributions.
///
/// Each term reads the distribution of one batch row at one position (the distribution of the
/// token that follows that position).
public struct Objective: Sendable {
    public enum Term: Sendable {
        /// log p(token) at (row, position).
        case logProb(row: Int, position: Int, token: Int)
        /// p(token) at (row, position).
        case probability(row: Int, position: Int, token: Int)
        /// KL(p_current ‖ p_reference) at (row, position), given the reference log-probabilities [V].
        case kl(row: Int, position: Int, referenceLogProbs: [Float])

        var row: Int {
            switch self { case .logProb(let r, _, _), .probability(let r, _, _), .kl(let r, _, _): return r }
        }
        var position: Int {
            switch self { case .logProb(_, let p, _), .probability(_, let p, _), .kl(_, let p, _): return p }
        }
    }

    public var terms: [(weight: Float, term: Term)]

    public init(_ terms: [(weight: Float, term: Term)]) { self.terms = terms }

    /// log p(token) of the next token after the last position of row `row`.
    public static func logProb(of token: Int, row: Int = 0, position: Int) -> Objective {
        Objective([(1, .logProb(row: row, position: position, token: token))])
    }

    /// p(token) of the next token at `position`.
    public static func probability(of token: Int, row: Int = 0, position: Int) -> Objective {
        Objective([(1, .probability(row: row, position: position, token: token))])
    }

    /// Teacher forcing: the model input is prompt + target[..<last]; the objective is
    /// Σ_k log p(target_k | prompt, target_<k), or its mean with `mean`.
    public static func sequenceLogProb(target: [Int], promptLength: Int, row: Int = 0, mean: Bool = false) -> Objective {
        let w: Float = mean ? 1 / Float(max(1, target.count)) : 1
        return Objective(target.enumerated().map { k, token in (w, .logProb(row: row, position: promptLength - 1 + k, token: token)) })
    }

    /// KL(current ‖ reference) of the next-token distribution at `position`.
    public static func kl(reference logProbs: [Float], row: Int = 0, position: Int) -> Objective {
        Objective([(1, .kl(row: row, position: position, referenceLogProbs: logProbs))])
    }

    /// The weighted sum of two objectives.
    public static func + (a: Objective, b: Objective) -> Objective { Objective(a.terms + b.terms) }
    public static func * (w: Float, a: Objective) -> Objective { Objective(a.terms.map { (w * $0.weight, $0.term) }) }

    /// The positions whose logits the objective reads, in order.
    var positions: [Int] { Array(Set(terms.map { $0.term.position })).sorted() }
}

/// A weight matrix, named as in TransformerLens; stored (and differentiated) in the GGUF and
/// PyTorch `[out][in]` order: W_out [D, F], W_in and W_gate [F, D], W_Q [H·Dh, D], W_O [D, H·Dh].
public enum WeightRef: Hashable, Sendable, CustomStringConvertible {
    case mlpOut(Int), mlpIn(Int), mlpGate(Int)
    case attnQ(Int), attnK(Int), attnV(Int), attnO(Int)

    public var layer: Int {
        switch self {
        case .mlpOut(let l), .mlpIn(let l), .mlpGate(let l), .attnQ(let l), .attnK(let l), .attnV(let l), .attnO(let l): return l
        }
    }

    public var description: String {
        switch self {
        case .mlpOut(let l): return "blocks.\(l).mlp.W_out"
        case .mlpIn(let l): return "blocks.\(l).mlp.W_in"
        case .mlpGate(let l): return "blocks.\(l).mlp.W_gate"
        case .attnQ(let l): return "blocks.\(l).attn.W_Q"
        case .attnK(let l): return "blocks.\(l).attn.W_K"
        case .attnV(let l): return "blocks.\(l).attn.W_V"
        case .attnO(let l): return "blocks.\(l).attn.W_O"
        }
    }

    public init?(_ name: String) {
        let parts = name.split(separator: ".")
        guard parts.count == 4, parts[0] == "blocks", let l = Int(parts[1]), l >= 0, String(l) == parts[1] else { return nil }
        switch (parts[2], parts[3]) {
        case ("mlp", "W_out"): self = .mlpOut(l)
        case ("mlp", "W_in"): self = .mlpIn(l)
        case ("mlp", "W_gate"): self = .mlpGate(l)
        case ("attn", "W_Q"): self = .attnQ(l)
        case ("attn", "W_K"): self = .attnK(l)
        case ("attn", "W_V"): self = .attnV(l)
        case ("attn", "W_O"): self = .attnO(l)
        default: return nil
        }
    }
}
