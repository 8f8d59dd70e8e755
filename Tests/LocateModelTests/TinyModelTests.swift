import LocateCore
import LocateModel
import Testing
import TestSupport

/// The engine's forward pass on a tiny random llama against ``NaiveLlama``, a double-precision
/// forward written from the formulas. Needs no model file.
@Suite("TinyModel")
struct TinyModelTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let seed: UInt64
        let batch: Int
        let length: Int
        var testDescription: String { "seed \(seed), B\(batch) T\(length)" }
    }

    static let cases = [Case(seed: 1, batch: 1, length: 9), Case(seed: 2, batch: 3, length: 6), Case(seed: 3, batch: 1, length: 1)]
    static let tolerance: Double = 1e-4

    static func rows(_ c: Case) -> [[Int]] {
        (0..<c.batch).map { TinyModel.tokens(count: c.length, seed: c.seed * 100 + UInt64($0)) }
    }

    /// Largest |engine − naive| over all rows and positions of [B, T, V] logits.
    static func maxError(_ logits: Tensor, _ naive: [[Double]]) -> Double {
        var err = 0.0
        for (b, row) in naive.enumerated() {
            let w = row.count
            for i in 0..<w { err = max(err, abs(Double(logits.data[b * w + i]) - row[i])) }
        }
        return err
    }

    /// Guards the whole layer loop against an independent implementation: a wrong RoPE pairing or
    /// angle, a GQA head mapped to the wrong kv head, a causal mask off by one, a missing
    /// residual, an RMSNorm epsilon or weight slip, gate and up swapped, an untied unembedding,
    /// and batch rows leaking into each other.
    @Test(arguments: cases)
    func forwardMatchesNaive(_ c: Case) throws {
        let model = TinyModel.make(seed: c.seed)
        let rows = Self.rows(c)
        let result = try model.run(tokens: rows, RunOptions(logits: .all))
        let logits = try #require(result.logits)
        #expect(logits.shape == [c.batch, c.length, model.config.vocabSize])
        let naive = NaiveLlama(model)
        let expected = rows.map { naive.logits(tokens: $0) }
        #expect(Self.maxError(logits, expected) < Self.tolerance)
        #expect(expected.joined().map(abs).max()! > 0.5, "logits should be O(1), not vanishing")
    }

    /// Guards that interventions land where the naive model puts them: an `.add` of a per-position
    /// tensor at blocks.1.hook_mlp_out (a wrong position order or a shifted row would show) and a
    /// `.scale` of the last position at blocks.0.mlp.hook_post (applied before W_out, not after).
    @Test(arguments: cases)
    func interventionsMatchNaive(_ c: Case) throws {
        let model = TinyModel.make(seed: c.seed)
        let rows = Self.rows(c)
        let D = model.config.embeddingLength
        let delta = RandomSource(seed: c.seed + 7).gaussians(count: c.length * D, std: 0.5)   // [T, D]
        let factor: Float = 2.5
        let interventions: [Intervention] = [
            .add(.mlpOut(1), Tensor(shape: [c.length, D], data: delta)),
            .scale(.mlpPost(0), by: factor, positions: .last),
        ]
        let clean = try #require(try model.run(tokens: rows, RunOptions(logits: .all)).logits)
        let edited = try #require(try model.run(tokens: rows, RunOptions(interventions: interventions, logits: .all)).logits)

        let naive = NaiveLlama(model)
        let expected = rows.map { tokens in
            naive.logits(tokens: tokens) { hook, position, values in
                if hook == .mlpOut(1) {
                    for i in 0..<D { values[i] += Double(delta[position * D + i]) }
                } else if hook == .mlpPost(0), position == tokens.count - 1 {
                    for i in values.indices { values[i] *= Double(factor) }
                }
            }
        }
        #expect(Self.maxError(edited, expected) < Self.tolerance)
        #expect(edited.maxAbsDifference(clean) > 1e-2, "the interventions should change the logits")
    }
}
