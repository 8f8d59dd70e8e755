import Foundation
import LocateCore
import LocateModel
import Testing
import TestSupport

@Suite("Weights kept as GGUF blocks", .realModel)
struct BlockWeightsTests {
    @Test("every Q4_1 matrix and the Q8_0 unembedding keep their blocks at load")
    func loaded() throws {
        let model = try ModelFixture.model()
        #expect(model.weights.outputBlocks?.format == .q8_0)
        for layer in model.weights.layers {
            let b = layer.blocks
            #expect([b.q, b.k, b.v, b.o, b.gate, b.up, b.down].allSatisfy { $0?.format == .q4_1 })
        }
    }

    @Test("changing a matrix drops its blocks and no other's")
    func mutationDropsBlocks() throws {
        var weights = try ModelFixture.model().weights
        weights.layers[3].down[5] += 1
        #expect(weights.layers[3].blocks.down == nil)
        #expect(weights.layers[3].blocks.up != nil && weights.layers[2].blocks.down != nil)
        weights.output[0] = 0
        #expect(weights.outputBlocks == nil)
    }

    @Test("a run from blocks equals a run from the float32 copies within float32 rounding", arguments: [1, 11])
    func sameRun(batch: Int) throws {
        let model = try ModelFixture.model()
        let dense = Transformer(config: model.config, architecture: model.architecture, weights: model.weights.droppingBlocks(),
                                tokenizer: model.tokenizer, source: model.source)
        let ids = try model.encode("The Eiffel Tower is located in the city of")
        let rows = Array(repeating: ids, count: batch)
        let a = try model.run(tokens: rows, RunOptions(logits: .all)), b = try dense.run(tokens: rows, RunOptions(logits: .all))
        let x = try #require(a.logits).data, y = try #require(b.logits).data
        #expect(x.count == y.count && x.count == batch * ids.count * model.config.vocabSize)
        let worst = zip(x, y).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 2e-3, "largest logit difference \(worst)")
    }
}
