import Foundation
import LocateCore
import LocateMethods
import LocateModel
import Testing
import TestSupport

/// The logit lens: its last state is the model's output, its first is the embedding read through
/// the final norm and unembedding, and its per-state numbers agree with one another.
@Suite("Logit lens", .realModel)
struct LogitLensTests {
    /// The state after the last block gives a plain forward's logits (max |Δ| < 1e-4), at the
    /// last position and at an earlier one.
    @Test(arguments: [nil, 2] as [Int?])
    func lastStateIsTheModelOutput(position: Int?) throws {
        let model = try MethodsModel.model()
        let tokens = try model.encode("The capital of France is")
        let lens = try LogitLens(model: model).logits(tokens: tokens, position: position)
        let p = position ?? tokens.count - 1
        #expect(lens.position == p && lens.lens.shape == [model.layerCount + 1, model.config.vocabSize])
        let plain = try model.run(tokens: [tokens], RunOptions(logits: .at([p]))).logits(position: p)!
        #expect(maxAbsDifference(lens.lens.row(model.layerCount), plain) < 1e-4)
        #expect(maxAbsDifference(lens.model, plain) == 0)
        // The states differ from one another: a lens that read one hook for all would not.
        #expect(maxAbsDifference(lens.lens.row(0), lens.lens.row(15)) > 1)
    }

    /// State 0 is the prompt token's embedding row through the final RMSNorm and unembedding,
    /// computed here in double precision straight from the weights.
    @Test func firstStateIsTheEmbedding() throws {
        let model = try MethodsModel.model()
        let tokens = try model.encode("Megan Rapinoe plays the sport of")
        let D = model.config.embeddingLength, V = model.config.vocabSize
        let position = 3
        let lens = try LogitLens(model: model).logits(tokens: tokens, position: position)
        let id = tokens[position]
        let embedding = Array(model.weights.embedding[id * D ..< (id + 1) * D])
        let normed = RMSNorm.forwardNaive(embedding, weight: model.weights.finalNorm, eps: model.config.rmsNormEpsilon, rows: 1, width: D)
        let naive = Matmul.linearNaive(normed, model.weights.output, m: 1, n: V, k: D)
        #expect(maxAbsDifference(lens.lens.row(0), naive) < 1e-3)
    }

    /// Probabilities, ranks and top tokens agree with the lens logits and with the model.
    @Test func statesAreConsistent() throws {
        let model = try MethodsModel.model()
        let tokens = try model.encode("The Eiffel Tower is located in the city of")
        let lens = LogitLens(model: model)
        let result = try lens.run(tokens: tokens, top: 5)
        let logits = try lens.logits(tokens: tokens).lens
        let run = try model.run(tokens: [tokens])
        #expect(result.states.count == model.layerCount + 1)
        #expect(result.states.map(\.blocks) == Array(0...model.layerCount))
        #expect(result.states.first?.hook == "blocks.0.hook_resid_pre" && result.states.last?.hook == "blocks.29.hook_resid_post")
        #expect(result.target == result.topToken && result.topToken == topK(run.logits()!, 1)[0])
        let last = try #require(result.states.last)
        #expect(last.targetRank == 1 && last.top[0].id == result.target)
        #expect(abs(Double(last.targetProbability) - Foundation.exp(Double(run.logProbability(of: result.target)!))) < 1e-5)
        for state in result.states {
            let row = logits.row(state.blocks)
            #expect(state.top.map(\.id) == topK(row, 5))
            let probabilities = state.top.map(\.score)
            #expect(probabilities == probabilities.sorted(by: >) && probabilities.reduce(0, +) <= 1.0001)
            #expect(state.targetRank == 1 + row.filter { $0 > row[result.target] }.count)
            #expect((state.targetRank == 1) == (state.top[0].id == result.target))
        }
        // A chosen target keeps its own numbers: " London" is not the top token at the end.
        let london = try TargetToken.resolve("London", tokenizer: model.tokenizer)
        let other = try lens.run(tokens: tokens, target: london.id)
        #expect(other.target == london.id && other.states.last!.targetRank > 1)
        #expect(other.states.map(\.top) == result.states.map(\.top))
    }

    /// Bad input is refused with typed errors.
    @Test func badInput() throws {
        let model = try MethodsModel.model()
        let lens = LogitLens(model: model)
        let tokens = try model.encode("The capital of France is")
        #expect(throws: ProjectionError.positionOutOfRange(position: 9, positions: 5)) { try lens.run(tokens: tokens, position: 9) }
        #expect(throws: ProjectionError.positionOutOfRange(position: -6, positions: 5)) { try lens.run(tokens: tokens, position: -6) }
        #expect(throws: ProjectionError.model(.emptyPrompt)) { try lens.run(tokens: []) }
        #expect(throws: ProjectionError.targetOutOfRange(id: -1, vocabulary: 49152)) { try lens.run(tokens: tokens, target: -1) }
        #expect(throws: ProjectionError.countOutOfRange(name: "the number of top tokens", value: 0)) { try lens.run(tokens: tokens, top: 0) }
        #expect(try lens.run(tokens: tokens, position: -1).position == 4)
    }
}
