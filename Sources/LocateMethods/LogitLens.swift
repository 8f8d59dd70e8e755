import Foundation
import LocateCore
import LocateModel

/// The logit lens (nostalgebraist 2020; LM-Debugger's "layer predictions"): the residual stream
/// at one position, read after every block as if it were the last one.
///
/// State s = 0…L is the residual after s blocks: `blocks.s.hook_resid_pre` for s < L and
/// `blocks.{L-1}.hook_resid_post` for s = L. Each goes through the model's own final RMSNorm and
/// unembedding, `logits_s = E · (rmsnorm(x_s) ⊙ g)`, then a softmax; the last state's logits are
/// the model's.
///
///     let lens = try LogitLens(model: model).run(tokens: try model.encode("The capital of France is"))
///     // lens.states.last!.top[0] is the model's prediction; lens.states[s].targetRank over s
///     // shows where the target rises
///
/// Provenance: ALGORITHMS.md §5 ("Layer (residual) predictions").
public struct LogitLens: Sendable {
    /// What one residual state predicts.
    public struct State: Sendable, Codable, Equatable {
        /// Blocks applied, 0…L (0 is the embedding).
        public let blocks: Int
        /// The hook the state was read at.
        public let hook: String
        /// Top tokens, with probabilities as scores.
        public let top: [TokenScore]
        /// The target's logit, probability and rank (1 = top).
        public let targetLogit: Float
        public let targetProbability: Float
        public let targetRank: Int
    }

    /// The lens at one position.
    public struct Result: Sendable, Codable, Equatable {
        /// The prompt's tokens [T].
        public let tokens: [Int]
        public let position: Int
        /// The followed token.
        public let target: Int
        /// The model's top next token at the position.
        public let topToken: Int
        /// L + 1 states, embedding first.
        public let states: [State]
    }

    public let model: Transformer

    public init(model: Transformer) {
        self.model = model
    }

    /// The hooks read, one per state: resid_pre of every block, then the last resid_post.
    public var hooks: [HookPoint] {
        (0..<model.layerCount).map { HookPoint.residPre($0) } + [.residPost(model.layerCount - 1)]
    }

    /// Lens logits of every state at one position, and the model's own logits there.
    ///
    /// - Parameters:
    ///   - tokens: the prompt's token ids [T].
    ///   - position: 0…T-1, negative from the end; nil for the last.
    /// - Returns: `lens` [L+1, V] and `model` [V] logits, and the resolved position.
    /// - Throws: ``ProjectionError`` for an empty prompt or a position out of range.
    public func logits(tokens: [Int], position: Int? = nil) throws(ProjectionError) -> (lens: Tensor, model: [Float], position: Int) {
        guard !tokens.isEmpty else { throw .model(.emptyPrompt) }
        let p = try ProjectionError.resolvePosition(position, positions: tokens.count)
        let D = model.config.embeddingLength, V = model.config.vocabSize, S = model.layerCount + 1
        let run: RunResult
        do throws(ModelError) { run = try model.run(tokens: [tokens], RunOptions(record: .hooks(hooks), logits: .at([p]))) }
        catch { throw .model(error) }
        var residual = [Float](repeating: 0, count: S * D)                              // [S, D] at position p
        for (s, hook) in hooks.enumerated() {
            let t = run.cache[hook]!                                                    // [1, T, D]
            residual.replaceSubrange(s * D ..< (s + 1) * D, with: t.data[p * D ..< (p + 1) * D])
        }
        var normalized = [Float](repeating: 0, count: S * D)                            // [S, D]
        model.weights.finalNorm.withUnsafeBufferPointer { g in
            RMSNorm.forward(residual, weight: g.baseAddress!, eps: model.config.rmsNormEpsilon, &normalized, rows: S, width: D)
        }
        var lens = [Float](repeating: 0, count: S * V)                                  // [S, V]
        model.weights.output.withUnsafeBufferPointer { e in
            Matmul.linear(normalized, e.baseAddress!, &lens, m: S, n: V, k: D)
        }
        return (Tensor(shape: [S, V], data: lens), run.logits(position: p)!, p)
    }

    /// Runs the lens at one position.
    ///
    /// - Parameters:
    ///   - tokens: the prompt's token ids [T].
    ///   - position: 0…T-1, negative from the end; nil for the last.
    ///   - target: the followed token; nil for the model's top next token.
    ///   - top: tokens kept per state.
    /// - Throws: ``ProjectionError`` for an empty prompt, a position or target out of range, or `top` < 1.
    public func run(tokens: [Int], position: Int? = nil, target: Int? = nil, top: Int = 5) throws(ProjectionError) -> Result {
        try ProjectionError.checkCount(top, "the number of top tokens")
        let V = model.config.vocabSize
        if let target, target < 0 || target >= V { throw .targetOutOfRange(id: target, vocabulary: V) }
        let (lens, final, p) = try logits(tokens: tokens, position: position)
        let topToken = final.indices.max { final[$0] < final[$1] }!
        let t = target ?? topToken
        var states: [State] = []
        lens.data.withUnsafeBufferPointer { all in
            for (s, hook) in hooks.enumerated() {
                let row = all.baseAddress! + s * V                                      // [V]
                let lse = Softmax.logSumExp(row, count: V)
                let best = TopTokens.largest(row, count: V, k: top)
                    .map { TokenScore(id: $0.id, score: Float(Foundation.exp(Double($0.score - lse)))) }
                var rank = 1
                for i in 0..<V where row[i] > row[t] { rank += 1 }
                states.append(State(blocks: s, hook: hook.description, top: best, targetLogit: row[t],
                                    targetProbability: Float(Foundation.exp(Double(row[t] - lse))), targetRank: rank))
            }
        }
        return Result(tokens: tokens, position: p, target: t, topToken: topToken, states: states)
    }
}
