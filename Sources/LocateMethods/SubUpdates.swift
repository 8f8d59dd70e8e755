import LocateCore
import LocateModel

/// LM-Debugger's view of one prediction (Geva et al. 2022): the MLP output at a position is a
/// sum of sub-updates `m_i v_i`, each ranked by importance `|m_i| · ‖v_i‖` and read through the
/// unembedding.
///
/// The logits are linear in the residual before the final norm, so a sub-update's vocabulary
/// effect is `m_i · (E v_i)`: its top tokens are ranked by that product (a negative `m_i` flips
/// the ranking of `E v_i`), and its effect on the target is `m_i · (E v_i)[target]`. Over all
/// neurons these effects sum to the layer's whole contribution `(E · mlp_out)[target]`.
///
///     let analysis = SubUpdates(model: model)
///     let result = try analysis.analyze(tokens: try model.encode("The capital of France is"))
///     // result.layers[l].subUpdates: the 10 most important sub-updates of layer l
///
/// One forward pass records `blocks.l.mlp.hook_post` (the coefficients m, [B, T, F]) and
/// `blocks.l.hook_mlp_out` ([B, T, D]); all projections then share one chunked matrix product.
///
/// Provenance: ALGORITHMS.md §5 ("Sub-update projection / ranking", LM-Debugger).
public struct SubUpdates: Sendable {
    /// One sub-update `m_i v_i` at the analysed position.
    public struct SubUpdate: Sendable, Codable, Equatable {
        public let layer: Int
        public let neuron: Int
        /// m_i, the neuron's coefficient (`mlp.hook_post`).
        public let coefficient: Float
        /// ‖v_i‖.
        public let valueNorm: Float
        /// |m_i| · ‖v_i‖ = ‖m_i v_i‖.
        public let importance: Float
        /// m_i · (E v_i)[target]: the change it makes to the target's logit (before the final norm).
        public let targetEffect: Float
        /// Top tokens of m_i · (E v_i), with those values as scores.
        public let top: [TokenScore]
    }

    /// One layer's MLP at the analysed position.
    public struct Layer: Sendable, Codable, Equatable {
        public let layer: Int
        /// m: [F] coefficients of every neuron.
        public let coefficients: [Float]
        /// m_i · (E v_i)[target] for every neuron: [F].
        public let targetEffects: [Float]
        /// (E · mlp_out)[target], the whole MLP's contribution to the target's logit.
        public let mlpTargetEffect: Float
        /// Top tokens of E · mlp_out (what the whole layer promotes).
        public let mlpTop: [TokenScore]
        /// The most important sub-updates, importance descending.
        public let subUpdates: [SubUpdate]
    }

    /// The analysis of one position.
    public struct Result: Sendable, Codable, Equatable {
        /// The prompt's tokens [T].
        public let tokens: [Int]
        public let position: Int
        /// The followed token.
        public let target: Int
        /// The model's logit of the target at the position.
        public let targetLogit: Float
        /// The model's top next token at the position.
        public let topToken: Int
        public let layers: [Layer]
        /// The sub-updates that raise the target's logit most, across the analysed layers.
        public let promoters: [SubUpdate]
    }

    public let model: Transformer
    /// Which vector the top tokens come from (the effects on the target are always `m_i (E v_i)`).
    public var variant: VocabularyProjection.Variant

    public init(model: Transformer, variant: VocabularyProjection.Variant = .raw) {
        self.model = model; self.variant = variant
    }

    /// Analyses the MLP sub-updates of a prompt at one position.
    ///
    /// - Parameters:
    ///   - tokens: the prompt's token ids [T].
    ///   - position: 0…T-1, negative from the end; nil for the last.
    ///   - layers: the layers to analyse (all when nil), in the order wanted.
    ///   - target: the followed token id; nil for the model's top next token at the position.
    ///   - perLayer: sub-updates kept per layer.
    ///   - topTokens: tokens kept per sub-update.
    ///   - promoters: sub-updates kept in ``Result/promoters``.
    /// - Throws: ``ProjectionError`` for an empty prompt or a layer, position or count out of range.
    public func analyze(tokens: [Int], position: Int? = nil, layers: [Int]? = nil, target: Int? = nil,
                        perLayer: Int = 10, topTokens: Int = 10, promoters: Int = 10) throws(ProjectionError) -> Result {
        guard !tokens.isEmpty else { throw .model(.emptyPrompt) }
        let L = model.layerCount, D = model.config.embeddingLength, F = model.config.feedForwardLength
        let V = model.config.vocabSize
        let p = try ProjectionError.resolvePosition(position, positions: tokens.count)
        var seen = Set<Int>()
        let chosen = (layers ?? Array(0..<L)).filter { seen.insert($0).inserted }
        guard !chosen.isEmpty else { throw .nothingRequested("the list of layers is empty") }
        for l in chosen { try ProjectionError.checkLayer(l, layers: L) }
        try ProjectionError.checkCount(perLayer, "the number of sub-updates per layer")
        try ProjectionError.checkCount(topTokens, "the number of top tokens")
        try ProjectionError.checkCount(promoters, "the number of promoters")
        if let target, target < 0 || target >= V { throw .targetOutOfRange(id: target, vocabulary: V) }

        let hooks = chosen.flatMap { [HookPoint.mlpPost($0), HookPoint.mlpOut($0)] }
        let run: RunResult
        do throws(ModelError) { run = try model.run(tokens: [tokens], RunOptions(record: .hooks(hooks), logits: .at([p]))) }
        catch { throw .model(error) }
        let logits = run.logits(position: p)!                                           // [V]
        let topToken = logits.indices.max { logits[$0] < logits[$1] }!
        let t = target ?? topToken
        let unembedding = Array(model.weights.output[t * D ..< (t + 1) * D])             // [D] E[target]

        let projection = VocabularyProjection(model: model)
        var scans: [LayerScan] = []
        for l in chosen {
            let post = run.cache[.mlpPost(l)]!                                           // [1, T, F]
            let out = run.cache[.mlpOut(l)]!                                             // [1, T, D]
            scans.append(try LayerScan(model: model, layer: l, coefficients: Array(post.data[p * F ..< (p + 1) * F]),
                                       mlpOut: Array(out.data[p * D ..< (p + 1) * D]), unembedding: unembedding, keep: perLayer))
        }
        var candidates: [(scan: Int, neuron: Int, effect: Float)] = []
        for (s, scan) in scans.enumerated() { for i in 0..<F { candidates.append((s, i, scan.effects[i])) } }
        candidates.sort { $0.effect != $1.effect ? $0.effect > $1.effect : ($0.scan, $0.neuron) < ($1.scan, $1.neuron) }
        let promoting = candidates.prefix(promoters)

        // One batch of rows for every projection: per layer its mlp_out, then its picked value
        // vectors; then the promoters. Scales: 1 for mlp_out, m_i for sub-updates.
        var rows: [Float] = [], scales: [Float] = []                                     // [N, D], [N]
        func addValue(_ scan: LayerScan, _ neuron: Int) throws(ProjectionError) {
            rows += try projection.valueVectors(layer: scan.layer, neurons: [neuron], variant: variant)
            scales.append(scan.m[neuron])
        }
        for scan in scans {
            var out = scan.mlpOut
            if variant == .finalNormGain { for d in 0..<D { out[d] *= model.weights.finalNorm[d] } }
            rows += out; scales.append(1)
            for i in scan.picked { try addValue(scan, i) }
        }
        for c in promoting { try addValue(scans[c.scan], c.neuron) }
        var tops = projection.topTokens(of: rows, rows: scales.count, k: topTokens, scales: scales)[...]

        var resultLayers: [Layer] = []
        for scan in scans {
            let mlpTop = tops.removeFirst()
            let subs = scan.picked.map { scan.subUpdate($0, top: tops.removeFirst()) }
            resultLayers.append(Layer(layer: scan.layer, coefficients: scan.m, targetEffects: scan.effects,
                                      mlpTargetEffect: Vector.dot(unembedding, scan.mlpOut, count: D), mlpTop: mlpTop, subUpdates: subs))
        }
        let promoterList = promoting.map { scans[$0.scan].subUpdate($0.neuron, top: tops.removeFirst()) }
        return Result(tokens: tokens, position: p, target: t, targetLogit: logits[t], topToken: topToken,
                      layers: resultLayers, promoters: promoterList)
    }
}

/// One layer's MLP at one position: coefficients, norms, effects on the target, and the
/// sub-updates picked by importance.
private struct LayerScan {
    let layer: Int
    let m: [Float]          // [F] coefficients
    let norms: [Float]      // [F] ‖v_i‖
    let effects: [Float]    // [F] m_i (E v_i)[target]
    let mlpOut: [Float]     // [D]
    let picked: [Int]       // neurons, importance descending

    init(model: Transformer, layer: Int, coefficients m: [Float], mlpOut: [Float], unembedding: [Float], keep: Int) throws(ProjectionError) {
        let D = model.config.embeddingLength, F = model.config.feedForwardLength
        let norms = try VocabularyProjection(model: model).valueNorms(layer: layer)
        var direction = [Float](repeating: 0, count: F)                                  // [F] (E v_i)[target] = E[target]·W_out
        model.weights.layers[layer].down.withUnsafeBufferPointer { w in
            Matmul.linearBackwardInput(unembedding, w.baseAddress!, &direction, m: 1, n: D, k: F)
        }
        let importance = (0..<F).map { abs(m[$0]) * norms[$0] }
        self.layer = layer
        self.m = m
        self.norms = norms
        self.effects = (0..<F).map { m[$0] * direction[$0] }
        self.mlpOut = mlpOut
        self.picked = Array((0..<F).sorted { importance[$0] != importance[$1] ? importance[$0] > importance[$1] : $0 < $1 }.prefix(keep))
    }

    func subUpdate(_ i: Int, top: [TokenScore]) -> SubUpdates.SubUpdate {
        SubUpdates.SubUpdate(layer: layer, neuron: i, coefficient: m[i], valueNorm: norms[i],
                             importance: abs(m[i]) * norms[i], targetEffect: effects[i], top: top)
    }
}
