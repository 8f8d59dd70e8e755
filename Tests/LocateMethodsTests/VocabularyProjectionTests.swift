import Foundation
import LocateCore
import LocateMethods
import LocateModel
import Testing
import TestSupport

/// FFN value-vector projections against the PyTorch reference (`ffn_vocab_projection.json`), and
/// LM-Debugger's sub-updates against the recorded MLP output.
@Suite("Vocabulary projection", .realModel)
struct VocabularyProjectionTests {
    /// Layers 20 and 29, neurons 0–19, both variants: the same ten token ids in the same order,
    /// scores within 1e-3 and value-vector norms within 1e-4 relative.
    @Test(arguments: [20, 29], VocabularyProjection.Variant.allCases)
    func matchesReference(layer: Int, variant: VocabularyProjection.Variant) throws {
        let model = try MethodsModel.model()
        let file = try #require(try Fixtures.json("ffn_vocab_projection.json") as? [String: Any])
        let layers = try #require(file["layers"] as? [String: Any])
        let byVariant = try #require(layers[String(layer)] as? [String: Any])
        let rows = try #require(byVariant[variant == .raw ? "raw" : "with_norm_weight"] as? [[String: Any]])
        #expect(rows.count == 20)
        let ours = try VocabularyProjection(model: model).project(layer: layer, neurons: Array(0..<20), top: 10, variant: variant)
        for (row, mine) in zip(rows, ours) {
            let neuron = row["neuron"] as! Int
            #expect(mine.neuron == neuron && mine.layer == layer)
            let top = row["top10"] as! [[String: Any]]
            #expect(mine.top.map(\.id) == top.map { $0["id"] as! Int }, "layer \(layer) neuron \(neuron) \(variant)")
            for (t, r) in zip(mine.top, top) {
                #expect(abs(Double(t.score) - (r["score"] as! Double)) < 1e-3, "layer \(layer) neuron \(neuron) token \(t.id)")
            }
            let norm = row["value_vector_norm"] as! Double
            #expect(abs(Double(mine.valueNorm) - norm) <= 1e-4 * norm)
        }
    }

    /// One neuron's full projection equals a double-precision E·v from the weights, and the
    /// selected top tokens equal a full sort of it, in both directions.
    @Test func projectionAndSelectionMatchNaive() throws {
        let model = try MethodsModel.model()
        let projection = VocabularyProjection(model: model)
        let D = model.config.embeddingLength, V = model.config.vocabSize
        let v = try projection.valueVectors(layer: 7, neurons: [123], variant: .raw)    // [1, D]
        let naive = Matmul.linearNaive(v, model.weights.output, m: 1, n: V, k: D)         // [V]
        let scores = try projection.scores(layer: 7, neuron: 123)
        #expect(maxAbsDifference(scores, naive) < 1e-4)
        for scale: Float in [1, -2.5] {
            let fast = scores.withUnsafeBufferPointer { TopTokens.largest($0.baseAddress!, count: V, k: 12, scale: scale) }
            #expect(fast == TopTokens.largestNaive(scores, k: 12, scale: scale))
        }
        let listed = try projection.project(layer: 7, neurons: [5, 123], top: 12)
        // Two rows go through a matrix product, not a matrix-vector one: the last bits may differ.
        #expect(listed[1].top.map(\.id) == TopTokens.largestNaive(scores, k: 12).map(\.id))
        #expect(maxAbsDifference(listed[1].top.map(\.score), TopTokens.largestNaive(scores, k: 12).map(\.score)) < 1e-5)
    }

    /// Ties go to the smaller id, NaN is never chosen, k larger than the row is clamped.
    @Test func selectionEdgeCases() {
        var x = NumpyRandomState(seed: 7).randn(500).map { Float(($0 * 2).rounded()) }      // many ties
        x[17] = .nan
        for (k, scale): (Int, Float) in [(1, 1), (10, 1), (10, -1), (600, 1)] {
            let fast = x.withUnsafeBufferPointer { TopTokens.largest($0.baseAddress!, count: x.count, k: k, scale: scale) }
            #expect(fast == TopTokens.largestNaive(x, k: k, scale: scale))
        }
        #expect(x.withUnsafeBufferPointer { TopTokens.largest($0.baseAddress!, count: x.count, k: 600) }.count == 499)
    }

    /// Σ_i m_i v_i over every neuron is the recorded `blocks.l.hook_mlp_out` at the position;
    /// the effects on the target sum to the layer's contribution to the target's logit.
    @Test(arguments: [3, 17, 29])
    func subUpdatesSumToMLPOutput(layer: Int) throws {
        let model = try MethodsModel.model()
        let D = model.config.embeddingLength, F = model.config.feedForwardLength
        let tokens = try model.encode("The Eiffel Tower is located in the city of")
        let position = 4
        let result = try SubUpdates(model: model).analyze(tokens: tokens, position: position, layers: [layer], perLayer: 5, topTokens: 5)
        let scan = try #require(result.layers.first)
        let recorded = try model.run(tokens: [tokens], RunOptions(record: .hooks([.mlpOut(layer)])))
        let out = Array(try #require(recorded.cache[.mlpOut(layer)]).data[position * D ..< (position + 1) * D])   // [D]
        let values = try VocabularyProjection(model: model).valueVectors(layer: layer, neurons: Array(0..<F))      // [F, D]
        var sum = [Double](repeating: 0, count: D)
        for i in 0..<F { for d in 0..<D { sum[d] += Double(scan.coefficients[i]) * Double(values[i * D + d]) } }
        let scale = Double(out.map { abs($0) }.max()!)
        let worst = (0..<D).map { abs(sum[$0] - Double(out[$0])) }.max()!
        #expect(worst <= 1e-3 * scale, "max |Σ m v − mlp_out| = \(worst), max |mlp_out| = \(scale)")
        let effects = scan.targetEffects.reduce(0.0) { $0 + Double($1) }
        #expect(abs(effects - Double(scan.mlpTargetEffect)) <= 1e-3 * max(1, abs(Double(scan.mlpTargetEffect))))
    }

    /// Sub-updates come in importance order; a negative coefficient ranks its tokens by the lowest
    /// raw scores; promoters are the largest target effects of all neurons.
    @Test func subUpdateInvariants() throws {
        let model = try MethodsModel.model()
        let projection = VocabularyProjection(model: model)
        let tokens = try model.encode("The capital of France is")
        let result = try SubUpdates(model: model).analyze(tokens: tokens, layers: [10, 20, 29], perLayer: 8, topTokens: 6, promoters: 5)
        #expect(result.position == tokens.count - 1 && result.target == result.topToken)
        let run = try model.run(tokens: [tokens])
        #expect(abs(run.logits()![result.target] - result.targetLogit) < 1e-4)
        var negativeChecked = false
        for layer in result.layers {
            let importance = layer.subUpdates.map(\.importance)
            #expect(importance == importance.sorted(by: >))
            let allImportance = try zip(layer.coefficients, projection.valueNorms(layer: layer.layer)).map { abs($0) * $1 }
            #expect(importance.first == allImportance.max())
            for s in layer.subUpdates {
                #expect(s.coefficient == layer.coefficients[s.neuron] && s.targetEffect == layer.targetEffects[s.neuron])
                #expect(s.top.map(\.score) == s.top.map(\.score).sorted(by: >))
                if s.coefficient < 0 && !negativeChecked {
                    let raw = try projection.scores(layer: layer.layer, neuron: s.neuron)
                    let lowest = TopTokens.largestNaive(raw, k: 6, scale: -1).map(\.id)
                    #expect(s.top.map(\.id) == lowest)
                    #expect(abs(s.top[0].score - s.coefficient * raw[lowest[0]]) < 1e-4 * max(1, abs(s.top[0].score)))
                    negativeChecked = true
                }
            }
        }
        #expect(negativeChecked, "no sub-update with a negative coefficient among the picked ones")
        let allEffects = result.layers.flatMap(\.targetEffects).sorted(by: >)
        #expect(result.promoters.map(\.targetEffect) == Array(allEffects.prefix(5)))
    }

    /// Bad input is refused with typed errors.
    @Test func badInput() throws {
        let model = try MethodsModel.model()
        let projection = VocabularyProjection(model: model)
        #expect(throws: ProjectionError.layerOutOfRange(layer: 30, layers: 30)) { try projection.project(layer: 30, neurons: [0]) }
        #expect(throws: ProjectionError.neuronOutOfRange(neuron: 1536, neurons: 1536)) { try projection.project(layer: 0, neurons: [1536]) }
        #expect(throws: ProjectionError.countOutOfRange(name: "the number of top tokens", value: 0)) { try projection.project(layer: 0, neurons: [1], top: 0) }
        let analysis = SubUpdates(model: model)
        let tokens = try model.encode("The capital of France is")
        #expect(throws: ProjectionError.positionOutOfRange(position: 5, positions: 5)) { try analysis.analyze(tokens: tokens, position: 5) }
        #expect(throws: ProjectionError.model(.emptyPrompt)) { try analysis.analyze(tokens: []) }
        #expect(throws: ProjectionError.layerOutOfRange(layer: -1, layers: 30)) { try analysis.analyze(tokens: tokens, layers: [-1]) }
        #expect(throws: ProjectionError.targetOutOfRange(id: 49152, vocabulary: 49152)) { try analysis.analyze(tokens: tokens, target: 49152) }
        let paris = try TargetToken.resolve("Paris", tokenizer: model.tokenizer)
        #expect(paris.text == " Paris" && paris.note == nil && model.tokenizer.encode(" Paris").ids == [paris.id])
        let long = try TargetToken.resolve("Parisianistically", tokenizer: model.tokenizer)
        #expect(long.note != nil && long.id == model.tokenizer.encode(" Parisianistically").ids[0])
        #expect(throws: ProjectionError.emptyTarget) { try TargetToken.resolve("", tokenizer: model.tokenizer) }
    }
}
