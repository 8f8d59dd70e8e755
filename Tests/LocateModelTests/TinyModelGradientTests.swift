import Foundation
import LocateCore
@testable import LocateModel
import Testing
import TestSupport

/// The whole backward pass on a tiny random llama against double-precision central differences of
/// an independent forward (`NaiveLlama`): every hook site, the weights, several objective terms,
/// with and without interventions, full and resumed runs.
@Suite("Tiny model gradients")
struct TinyModelGradientTests {
    static let tokens = [3, 17, 200, 45, 9, 128, 77]

    /// J in double from logits [T, V]: log p(5) at the last position + 0.5·p(9) at position 3
    /// + 0.25·KL(p ‖ uniform-ish reference) at position 5.
    static func objective(reference: [Float], last: Int) -> Objective {
        Objective([(1, .logProb(row: 0, position: last, token: 5)),
                   (0.5, .probability(row: 0, position: 3, token: 9)),
                   (0.25, .kl(row: 0, position: 5, referenceLogProbs: reference))])
    }

    static func value(_ logits: [Double], reference: [Float], vocab v: Int, last: Int) -> Double {
        func logSoftmax(_ p: Int) -> [Double] {
            let row = Array(logits[p * v ..< (p + 1) * v])
            let m = row.max()!
            let lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
            return row.map { $0 - lse }
        }
        let a = logSoftmax(last)[5]
        let b = Foundation.exp(logSoftmax(3)[9])
        let lp = logSoftmax(5)
        var kl = 0.0
        for i in 0..<v { kl += Foundation.exp(lp[i]) * (lp[i] - Double(reference[i])) }
        return a + 0.5 * b + 0.25 * kl
    }

    static func reference(vocab: Int) -> [Float] {
        let raw = (0..<vocab).map { Float(sin(Double($0))) * 0.5 }
        let m = raw.max()!
        let lse = m + Float(Foundation.log(raw.reduce(0.0) { $0 + Foundation.exp(Double($1 - m)) }))
        return raw.map { $0 - lse }
    }

    static let hooks: [HookPoint] = [.embed, .residPre(0), .ln1Normalized(0), .attnQ(1), .attnK(0), .attnV(1), .attnScores(1),
                                     .attnPattern(0), .attnZ(0), .attnOut(1), .residMid(0), .ln2Normalized(1), .mlpPre(0),
                                     .mlpPreLinear(1), .mlpPost(0), .mlpOut(1), .residPost(0), .finalNormalized]

    /// Activations and weights, plain and under interventions (the scaled last-position neurons
    /// of integrated gradients; zeroed units; an added vector).
    @Test(arguments: [false, true])
    func matchesFiniteDifferences(withInterventions: Bool) throws {
        let model = TinyModel.make(seed: 11)
        let v = model.config.vocabSize, last = Self.tokens.count - 1
        let reference = Self.reference(vocab: v)
        let interventions: [Intervention] = withInterventions ? [
            .scale(.mlpPost(0), by: 0.3, positions: .last),
            .zero(.mlpPost(1), units: .at([2, 7, 11])),
            .add(.residPost(0), Tensor(shape: [model.config.embeddingLength], data: (0..<model.config.embeddingLength).map { Float($0 % 5) * 0.1 }), positions: .at([2])),
        ] : []
        let weights: [WeightRef] = [.mlpOut(0), .mlpIn(1), .mlpGate(0), .attnQ(1), .attnK(0), .attnV(1), .attnO(0)]
        let g = try model.gradient(tokens: [Self.tokens], objective: Self.objective(reference: reference, last: last),
                                   at: Self.hooks, weights: weights, options: RunOptions(interventions: interventions))
        var naive = NaiveLlama(model)
        let d = model.config.embeddingLength

        func apply(_ hook: HookPoint, _ p: Int, _ values: inout [Double]) {
            guard withInterventions else { return }
            if hook == .mlpPost(0) && p == last { for u in values.indices { values[u] *= 0.3 } }
            if hook == .mlpPost(1) { for u in [2, 7, 11] { values[u] = 0 } }
            if hook == .residPost(0) && p == 2 { for u in 0..<d { values[u] += Double(u % 5) * 0.1 } }
        }
        func j(_ target: HookPoint? = nil, _ position: Int = 0, _ unit: Int = 0, _ e: Double = 0) -> Double {
            Self.value(naive.logits(tokens: Self.tokens) { hook, p, values in
                apply(hook, p, &values)
                if hook == target && p == position { values[unit] += e }
            }, reference: reference, vocab: v, last: last)
        }
        let value = j()
        #expect(abs(Double(g.value) - value) < 1e-5)

        let eps = 1e-5
        var generator = SplitMix(seed: 3)
        for hook in Self.hooks {
            let entry = try #require(g.activations.entry(hook), "no gradient at \(hook)")
            let perPosition = entry.tensor.count / entry.positions.count
            var worst = 0.0, scale = 0.0
            for p in 0..<Self.tokens.count {
                for _ in 0..<3 {
                    let u = generator.next(below: perPosition)
                    let fd = (j(hook, p, u, eps) - j(hook, p, u, -eps)) / (2 * eps)
                    // attention maps are stored [B, H, Tq, Tk] with unit = head·Tk + key; the rest [B, Tq, W]
                    let tk = Self.tokens.count
                    let index = hook.site.isAttentionMap ? ((u / tk) * Self.tokens.count + p) * tk + u % tk : p * perPosition + u
                    let ours = Double(entry.tensor.data[index])
                    worst = max(worst, abs(fd - ours)); scale = max(scale, abs(fd))
                }
            }
            #expect(worst <= 1e-3 * max(scale, 1e-3), "\(hook): error \(worst) at scale \(scale)")
        }

        for ref in weights {
            let grad = try #require(g.weights[ref])
            var worst = 0.0, scale = 0.0
            for _ in 0..<8 {
                let i = generator.next(below: grad.count)
                func perturbed(_ e: Double) -> Double {
                    let saved = naive
                    switch ref {
                    case .mlpOut(let l): naive.layers[l].down[i] += e
                    case .mlpIn(let l): naive.layers[l].up[i] += e
                    case .mlpGate(let l): naive.layers[l].gate[i] += e
                    case .attnQ(let l): naive.layers[l].q[i] += e
                    case .attnK(let l): naive.layers[l].k[i] += e
                    case .attnV(let l): naive.layers[l].v[i] += e
                    case .attnO(let l): naive.layers[l].o[i] += e
                    }
                    defer { naive = saved }
                    return j()
                }
                let fd = (perturbed(eps) - perturbed(-eps)) / (2 * eps)
                worst = max(worst, abs(fd - Double(grad.data[i]))); scale = max(scale, abs(fd))
            }
            #expect(worst <= 1e-3 * max(scale, 1e-3), "\(ref): error \(worst) at scale \(scale)")
        }
    }

    /// A gradient resumed at (layer 1, last position) from a kept state equals the full one at
    /// the activations it computes (what integrated gradients uses).
    @Test func resumedGradientEqualsFull() throws {
        let model = TinyModel.make(seed: 5)
        let last = Self.tokens.count - 1
        let objective = Objective.probability(of: 42, position: last)
        let scale = Intervention.scale(.mlpPost(1), by: 0.5, positions: .last)
        let full = try model.gradient(tokens: [Self.tokens], objective: objective, at: [.mlpPost(1), .residPost(1)],
                                      options: RunOptions(interventions: [scale]))
        let state = try #require(try model.run(tokens: [Self.tokens], RunOptions(keepState: true)).state)
        let resumed = try model.gradient(tokens: [Self.tokens], objective: objective, at: [.mlpPost(1), .residPost(1)],
                                         options: RunOptions(interventions: [scale], resume: Resume(state: state, layer: 1, position: last)))
        #expect(abs(full.value - resumed.value) < 1e-6)
        let f = model.config.feedForwardLength
        let a = Array(full.activations[.mlpPost(1)]!.data[last * f ..< (last + 1) * f])
        #expect(maxAbsDifference(a, resumed.activations[.mlpPost(1)]!.data) < 1e-6)
        #expect(resumed.activations.entry(.mlpPost(1))!.positions == [last])
    }

    /// Bad requests are errors: a weight gradient in a run that skips positions, a target outside
    /// the vocabulary, an objective row outside the batch.
    @Test func badRequestsAreErrors() throws {
        let model = TinyModel.make(seed: 5)
        let state = try #require(try model.run(tokens: [Self.tokens], RunOptions(keepState: true)).state)
        #expect(throws: ModelError.self) {
            try model.gradient(tokens: [Self.tokens], objective: .logProb(of: 1, position: 6), at: [], weights: [.mlpOut(1)],
                               options: RunOptions(resume: Resume(state: state, layer: 1, position: 3)))
        }
        #expect(throws: ModelError.self) { try model.gradient(tokens: [Self.tokens], objective: .logProb(of: 256, position: 6), at: []) }
        #expect(throws: ModelError.self) { try model.gradient(tokens: [Self.tokens], objective: .logProb(of: 1, row: 1, position: 6), at: []) }
        #expect(throws: ModelError.self) { try model.gradient(tokens: [Self.tokens], objective: .logProb(of: 1, position: 9), at: []) }
    }
}

/// A tiny deterministic generator for picking test coordinates.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(below n: Int) -> Int {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return Int((z ^ (z >> 31)) % UInt64(n))
    }
}

@Suite("Vector optimization")
struct VectorOptimizationTests {
    /// Optimizing a vector added at an MLP output raises the target's log-probability, stays in
    /// the norm ball, and is repeatable.
    @Test func raisesObjectiveWithinBall() throws {
        let model = TinyModel.make(seed: 21)
        let tokens = [[4, 80, 19, 200, 7], [4, 80, 19, 33, 7]]
        let objective = Objective([(1, .logProb(row: 0, position: 4, token: 99)), (1, .logProb(row: 1, position: 4, token: 99))])
        let settings = VectorOptimization(hook: .mlpOut(0), sites: [(0, 2), (1, 2)], steps: 15, learningRate: 0.1, maxNorm: 2)
        let a = try model.optimizeAddedVector(tokens: tokens, objective: objective, settings: settings)
        #expect(a.objectives.last! > a.objectives.first! + 0.1)
        #expect(a.vector.reduce(0) { $0 + $1 * $1 }.squareRoot() <= 2.0001)
        let b = try model.optimizeAddedVector(tokens: tokens, objective: objective, settings: settings)
        #expect(a.vector == b.vector)
    }
}
