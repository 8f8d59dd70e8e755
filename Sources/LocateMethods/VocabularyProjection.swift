import LocateCore
import LocateModel

/// What an MLP neuron writes, read in vocabulary space (Geva et al. 2022, "Transformer
/// Feed-Forward Layers Build Predictions by Promoting Concepts in the Vocabulary Space").
///
/// The MLP of layer l is a sum of sub-updates, `FFN(x) = Σ_i m_i v_i`, where the value vector
/// `v_i` is column i of `W_out` (`blk.l.ffn_down`, stored [D, F]). Its projection `r_i = E v_i`
/// through the unembedding E [V, D] scores every token; the top tokens say what the neuron
/// promotes when its coefficient is positive. As in LM-Debugger no softmax is applied (ranking by
/// logit and by probability agree). The `.finalNormGain` variant projects `g ⊙ v_i` with the final
/// RMSNorm gain g but without the 1/rms division, which only rescales a row.
///
///     let projection = VocabularyProjection(model: model)
///     let rows = try projection.project(layer: 20, neurons: [0, 1], top: 5)
///     // rows[0].top[0] == TokenScore(id: 1137 (" said"), score: 4.2089)
///
/// Many neurons are projected with one matrix product per chunk of rows, never one GEMV each.
///
/// Provenance: ALGORITHMS.md §5; reference `scripts/05_ffn_vocab_projection.py` →
/// `ffn_vocab_projection.json` (variants `raw` and `with_norm_weight`).
public struct VocabularyProjection: Sendable {
    /// Which vector is projected.
    public enum Variant: String, Sendable, Codable, CaseIterable {
        /// `E v_i` (LM-Debugger; the reference's `raw`).
        case raw
        /// `E (g ⊙ v_i)`, g the final norm gain (the reference's `with_norm_weight`).
        case finalNormGain = "final_norm_gain"
    }

    /// The projection of one value vector.
    public struct Neuron: Sendable, Codable, Equatable {
        public let layer: Int
        public let neuron: Int
        /// ‖v_i‖ (of the raw value vector, whatever the variant).
        public let valueNorm: Float
        /// Top tokens of the projection, largest score first.
        public let top: [TokenScore]
    }

    public let model: Transformer
    /// Rows of one projection product: a chunk's scores take rows · V floats (128 · 49152 · 4 B = 25 MB).
    public var rowsPerProduct = 128

    public init(model: Transformer) {
        self.model = model
    }

    /// Projects value vectors of one layer and keeps each one's top tokens.
    ///
    /// - Parameters:
    ///   - layer: the block, 0…L-1.
    ///   - neurons: neuron indices, 0…F-1, in the order wanted (all of them when nil).
    ///   - top: tokens kept per neuron.
    ///   - variant: raw or with the final norm gain.
    /// - Returns: one entry per neuron, in the order given.
    /// - Throws: ``ProjectionError`` for a layer or neuron out of range, or `top` < 1.
    public func project(layer: Int, neurons: [Int]? = nil, top: Int = 10, variant: Variant = .raw) throws(ProjectionError) -> [Neuron] {
        try ProjectionError.checkCount(top, "the number of top tokens")
        let F = model.config.feedForwardLength
        let indices = neurons ?? Array(0..<F)
        guard !indices.isEmpty else { throw .nothingRequested("the list of neurons is empty") }
        let vectors = try valueVectors(layer: layer, neurons: indices, variant: variant)   // [N, D]
        let norms = try valueNorms(layer: layer)                                         // [F]
        let tops = topTokens(of: vectors, rows: indices.count, k: top)
        return indices.enumerated().map { row, i in Neuron(layer: layer, neuron: i, valueNorm: norms[i], top: tops[row]) }
    }

    /// The full projection `E v_i` (or `E (g ⊙ v_i)`) of one neuron: [V] scores.
    public func scores(layer: Int, neuron: Int, variant: Variant = .raw) throws(ProjectionError) -> [Float] {
        let v = try valueVectors(layer: layer, neurons: [neuron], variant: variant)      // [1, D]
        let V = model.config.vocabSize, D = model.config.embeddingLength
        var out = [Float](repeating: 0, count: V)                                       // [V]
        v.withUnsafeBufferPointer { x in model.weights.output.withUnsafeBufferPointer { e in out.withUnsafeMutableBufferPointer { y in
            Matmul.linear(x.baseAddress!, e.baseAddress!, y.baseAddress!, m: 1, n: V, k: D)
        } } }
        return out
    }

    /// Value vectors gathered as rows: row r is column `neurons[r]` of `W_out` (times g for
    /// `.finalNormGain`).
    ///
    /// - Returns: [N, D] values, N = `neurons.count`.
    /// - Throws: ``ProjectionError`` for a layer or neuron out of range.
    public func valueVectors(layer: Int, neurons: [Int], variant: Variant = .raw) throws(ProjectionError) -> [Float] {
        try ProjectionError.checkLayer(layer, layers: model.layerCount)
        let D = model.config.embeddingLength, F = model.config.feedForwardLength
        for i in neurons where i < 0 || i >= F { throw .neuronOutOfRange(neuron: i, neurons: F) }
        let down = model.weights.layers[layer].down                                     // [D, F]
        let gain = model.weights.finalNorm                                              // [D]
        var rows = [Float](repeating: 0, count: neurons.count * D)                      // [N, D]
        for d in 0..<D {
            let g: Float = variant == .finalNormGain ? gain[d] : 1
            for (r, i) in neurons.enumerated() { rows[r * D + d] = g * down[d * F + i] }
        }
        return rows
    }

    /// ‖v_i‖ for every neuron of a layer: [F] Euclidean norms of the columns of `W_out`.
    public func valueNorms(layer: Int) throws(ProjectionError) -> [Float] {
        try ProjectionError.checkLayer(layer, layers: model.layerCount)
        let D = model.config.embeddingLength, F = model.config.feedForwardLength
        let down = model.weights.layers[layer].down                                     // [D, F]
        var squares = [Double](repeating: 0, count: F)                                  // [F]
        for d in 0..<D {
            for i in 0..<F { let w = Double(down[d * F + i]); squares[i] += w * w }
        }
        return squares.map { Float($0.squareRoot()) }
    }

    /// Top tokens of `scales[r] · (E · rows[r])` for each row, in chunks of ``rowsPerProduct``
    /// rows per matrix product.
    ///
    /// - Parameters:
    ///   - vectors: [N, D] rows in the residual space.
    ///   - n: N.
    ///   - k: tokens kept per row.
    ///   - scales: [N] multipliers (a sub-update's coefficient m_i; all 1 when nil), which also
    ///     decide the ranking direction.
    /// - Returns: N lists of at most k tokens, with the scaled scores.
    func topTokens(of vectors: [Float], rows n: Int, k: Int, scales: [Float]? = nil) -> [[TokenScore]] {
        let D = model.config.embeddingLength, V = model.config.vocabSize
        precondition(vectors.count == n * D, "vectors hold \(vectors.count) values, expected [\(n), \(D)]")
        precondition(scales == nil || scales!.count == n, "\(scales?.count ?? 0) scales for \(n) rows")
        let chunk = max(1, rowsPerProduct)
        var scores = [Float](repeating: 0, count: min(n, chunk) * V)                     // [chunk, V]
        var out: [[TokenScore]] = []
        out.reserveCapacity(n)
        for start in stride(from: 0, to: n, by: chunk) {
            let m = min(chunk, n - start)
            vectors.withUnsafeBufferPointer { x in model.weights.output.withUnsafeBufferPointer { e in scores.withUnsafeMutableBufferPointer { y in
                Matmul.linear(x.baseAddress! + start * D, e.baseAddress!, y.baseAddress!, m: m, n: V, k: D)
                for r in 0..<m {
                    out.append(TopTokens.largest(y.baseAddress! + r * V, count: V, k: k, scale: scales?[start + r] ?? 1))
                }
            } } }
        }
        return out
    }
}
