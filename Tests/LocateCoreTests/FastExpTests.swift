import Foundation
import LocateCore
import Testing
import TestSupport

/// The vectorizable exp and the batched objective gradients against their scalar references.
@Suite("Fast exp and objective rows")
struct FastExpTests {
    /// Relative error below 3e-7 over the whole useful range, exact-enough zeros below it.
    @Test func expMatchesFoundation() {
        var worst: Float = 0
        for v in stride(from: Float(-87), through: 88, by: 0.0137) {
            worst = max(worst, abs(FastExp.exp(v) - Foundation.exp(v)) / Foundation.exp(v))
        }
        #expect(worst < 3e-7, "worst relative error \(worst)")
        #expect(FastExp.exp(-200) < 1.3e-38)
        #expect(FastExp.exp(0) == 1)
    }

    @Test func reductions() {
        let x = RandomSource(seed: 2).gaussians(count: 10_007, std: 3)
        #expect(FastExp.maximum(x, count: x.count) == x.max()!)
        let exact = x.reduce(0.0) { $0 + Double($1) }
        #expect(abs(FastExp.sum(x, count: x.count) - exact) < 1e-3)
    }

    /// p(target) and log p(target) gradients of many rows equal the scalar per-row kernels.
    @Test(arguments: [true, false])
    func objectiveRowsMatchScalar(probability: Bool) {
        let rows = 7, width = 1_003, target = 17
        let logits = RandomSource(seed: 9).gaussians(count: rows * width, std: 4)
        var fast = logits
        let values = ObjectiveRows.gradientInPlace(&fast, rows: rows, width: width, target: target, probability: probability)
        for r in 0..<rows {
            let row = Array(logits[(r * width)..<((r + 1) * width)])
            let (value, gradient) = probability ? LogSoftmax.probabilityGradientNaive(logits: row, target: target)
                                                : LogSoftmax.logProbabilityGradientNaive(logits: row, target: target)
            #expect(abs(values[r] - value) < 2e-6 * max(1, abs(value)))
            #expect(maxAbsDifference(Array(fast[(r * width)..<((r + 1) * width)]), gradient) < 2e-6)
        }
    }
}

@Suite("logSumExp")
struct LogSumExpTests {
    @Test func matchesDoublePrecision() {
        for seed in 1...5 {
            let x = RandomSource(seed: UInt64(seed)).gaussians(count: 49_152, std: 5)
            let fast = x.withUnsafeBufferPointer { Softmax.logSumExp($0.baseAddress!, count: x.count) }
            #expect(abs(Double(fast) - Softmax.logSumExpNaive(x)) < 2e-5)
        }
    }
}
