import Foundation
import LocateCore
@testable import LocateModel
import Testing
import TestSupport

/// The staircase batch of last-position rows against the general resumed gradient, entry by entry.
@Suite("Entering-rows staircase pass")
struct EnteringRowsTests {
    static let tokens = TinyModel.tokens(count: 7, seed: 11)

    /// Rows entering after blocks −1, 0, 1, 2 (with perturbed residuals, several rows each): every
    /// row's p(target) and ∂p/∂residual equal a resumed `gradient` at `hook_resid_post` of that block.
    @Test(arguments: [false, true])
    func matchesResumedGradient(logProbability: Bool) throws {
        let model = TinyModel.make(seed: 9, layers: 4)
        let D = model.config.embeddingLength, T = Self.tokens.count, target = 77
        let clean = try model.run(tokens: [Self.tokens], RunOptions(keepState: true))
        let state = try #require(clean.state)
        let rng = RandomSource(seed: 3)
        var entries: [EnteringRows] = []
        for (layer, rows) in [(2, 3), (-1, 2), (0, 1), (1, 4)] {
            let base = Array(state.residual[layer + 1][((T - 1) * D)..<(T * D)])
            let residuals = (0..<rows).flatMap { _ in zip(base, rng.gaussians(count: D, std: 0.3)).map { $0 + $1 } }
            entries.append(EnteringRows(block: layer + 1, values: residuals))
        }
        let staircase = try model.enteringRowsGradients(kept: state, entries: entries,
                                                        objective: logProbability ? .logProbability(token: target) : .probability(token: target))
        for (e, entry) in entries.enumerated() {
            let rows = entry.values.count / D
            let layer = entry.block - 1
            let hook = HookPoint.residPost(layer)
            let resumeLayer = max(layer, 0)   // recompute the entry's block, then replace its output
            for r in 0..<rows {
                let row = Array(entry.values[(r * D)..<((r + 1) * D)])
                let objective: Objective = logProbability ? .logProb(of: target, position: T - 1) : .probability(of: target, position: T - 1)
                let site: HookPoint = layer >= 0 ? hook : .embed
                let options = RunOptions(interventions: [.replace(site, with: Tensor(shape: [D], data: row), positions: .last)],
                                         resume: Resume(state: state, layer: resumeLayer, position: T - 1))
                let reference = try model.gradient(tokens: [Self.tokens], objective: objective, at: [site], options: options)
                #expect(abs(reference.value - staircase.values[e][r]) < 1e-5, "entry \(layer) row \(r)")
                let g = try #require(reference.addedVectorGradient(at: site, positions: [T - 1]))
                let ours = Array(staircase.gradients[e][(r * D)..<((r + 1) * D)])
                let scale = g.map { abs($0) }.max()!
                #expect(maxAbsDifference(g, ours) <= 1e-4 * max(scale, 1e-3), "entry \(layer) row \(r)")
            }
        }
    }

    /// Rows entering at an MLP site (its activation, or its gate with the kept up projection):
    /// every row's p(target) and gradient with respect to the entered values equal a resumed
    /// `gradient` at that hook with the values put in by a replace intervention.
    @Test(arguments: [EnteringRows.Site.mlpPost, .mlpPre])
    func mlpSitesMatchResumedGradient(site: EnteringRows.Site) throws {
        let model = TinyModel.make(seed: 9, layers: 4)
        let F = model.config.feedForwardLength, T = Self.tokens.count, target = 31
        let hook: (Int) -> HookPoint = { site == .mlpPost ? .mlpPost($0) : .mlpPre($0) }
        let clean = try model.run(tokens: [Self.tokens], RunOptions(record: .hooks((0..<4).map(hook)), keepState: true))
        let state = try #require(clean.state)
        let rng = RandomSource(seed: 8)
        var entries: [EnteringRows] = []
        for (layer, rows) in [(3, 2), (0, 3), (2, 1)] {
            let entry = try #require(clean.cache.entry(hook(layer)))
            let i = try #require(entry.positions.firstIndex(of: T - 1))
            let base = Array(entry.tensor.data[(i * F)..<((i + 1) * F)])
            entries.append(EnteringRows(block: layer, site: site,
                                        values: (0..<rows).flatMap { _ in zip(base, rng.gaussians(count: F, std: 0.5)).map { $0 + $1 } }))
        }
        let staircase = try model.enteringRowsGradients(kept: state, entries: entries, objective: .probability(token: target))
        for (e, entry) in entries.enumerated() {
            for r in 0..<(entry.values.count / F) {
                let row = Array(entry.values[(r * F)..<((r + 1) * F)])
                let options = RunOptions(interventions: [.replace(entry.hook, with: Tensor(shape: [F], data: row), positions: .last)],
                                         resume: Resume(state: state, layer: entry.block, position: T - 1))
                let reference = try model.gradient(tokens: [Self.tokens], objective: .probability(of: target, position: T - 1),
                                                   at: [entry.hook], options: options)
                #expect(abs(reference.value - staircase.values[e][r]) < 1e-5, "\(entry.hook) row \(r)")
                let g = try #require(reference.addedVectorGradient(at: entry.hook, positions: [T - 1]))
                let ours = Array(staircase.gradients[e][(r * F)..<((r + 1) * F)])
                #expect(maxAbsDifference(g, ours) <= 1e-4 * max(g.map { abs($0) }.max()!, 1e-3), "\(entry.hook) row \(r)")
            }
        }
    }

    /// Rows equal to the clean run's own residuals reproduce its probability.
    @Test func cleanRowsReproduceTheRun() throws {
        let model = TinyModel.make(seed: 4, layers: 3)
        let D = model.config.embeddingLength, T = Self.tokens.count
        let clean = try model.run(tokens: [Self.tokens], RunOptions(keepState: true))
        let state = try #require(clean.state)
        let p = exp(Double(try #require(clean.logProbability(of: 5, position: T - 1))))
        let entries = (-1..<3).map { l in EnteringRows(block: l + 1, values: Array(state.residual[l + 1][((T - 1) * D)..<(T * D)])) }
        let result = try model.enteringRowsGradients(kept: state, entries: entries, objective: .probability(token: 5))
        for v in result.values { #expect(abs(Double(v[0]) - p) < 1e-5) }
    }

    @Test func badEntriesAreErrors() throws {
        let model = TinyModel.make(seed: 4, layers: 2)
        let state = try #require(try model.run(tokens: [Self.tokens], RunOptions(keepState: true)).state)
        #expect(throws: ModelError.self) { try model.enteringRowsGradients(kept: state, entries: [EnteringRows(block: 3, values: [Float](repeating: 0, count: 32))], objective: .probability(token: 1)) }
        #expect(throws: ModelError.self) { try model.enteringRowsGradients(kept: state, entries: [EnteringRows(block: 1, values: [1, 2, 3])], objective: .probability(token: 1)) }
        #expect(throws: ModelError.self) { try model.enteringRowsGradients(kept: state, entries: [], objective: .probability(token: 999)) }
        #expect(throws: ModelError.self) {   // an MLP site of a block that does not exist
            try model.enteringRowsGradients(kept: state, entries: [EnteringRows(block: 2, site: .mlpPost, values: [Float](repeating: 0, count: model.config.feedForwardLength))],
                                            objective: .probability(token: 1))
        }
    }
}

/// Prefix attention against its double-precision reference and central differences.
@Suite("Prefix attention kernels")
struct PrefixAttentionTests {
    @Test(arguments: [0, 1, 5])
    func forwardAndBackward(prefix: Int) throws {
        let shape = PrefixAttentionShape(rows: 3, prefix: prefix, heads: 4, kvHeads: 2, headDim: 8)
        let rng = RandomSource(seed: UInt64(prefix + 1))
        let q = rng.gaussians(count: 3 * 4 * 8, std: 1), pk = rng.gaussians(count: max(prefix, 1) * 2 * 8, std: 1)
        let pv = rng.gaussians(count: max(prefix, 1) * 2 * 8, std: 1)
        let ok = rng.gaussians(count: 3 * 2 * 8, std: 1), ov = rng.gaussians(count: 3 * 2 * 8, std: 1)
        let dz = rng.gaussians(count: 3 * 4 * 8, std: 1)
        func run(_ q: [Float], _ ok: [Float], _ ov: [Float]) -> ([Float], [Float]) {
            var pattern = [Float](repeating: 0, count: 3 * 4 * (prefix + 1)), z = [Float](repeating: 0, count: 3 * 4 * 8)
            PrefixAttention.forward(q: q, prefixK: pk, prefixV: pv, ownK: ok, ownV: ov, pattern: &pattern, z: &z, shape: shape)
            return (pattern, z)
        }
        let (pattern, z) = run(q, ok, ov)
        let naive = PrefixAttention.forwardNaive(q: q, prefixK: pk, prefixV: pv, ownK: ok, ownV: ov, shape: shape)
        #expect(maxAbsDifference(z, naive) < 1e-5)
        var dq = [Float](repeating: 0, count: q.count), dk = [Float](repeating: 0, count: ok.count), dv = dk
        var work = [Float](repeating: 0, count: 3 * 4 * (prefix + 1))
        PrefixAttention.backward(q: q, prefixK: pk, prefixV: pv, ownK: ok, ownV: ov, pattern: pattern, dz: dz, dq: &dq,
                                 dOwnK: &dk, dOwnV: &dv, work: &work, shape: shape)
        // central differences of J = Σ dz · z in double precision
        func objective(_ q: [Float], _ ok: [Float], _ ov: [Float]) -> Double {
            let z = PrefixAttention.forwardNaive(q: q, prefixK: pk, prefixV: pv, ownK: ok, ownV: ov, shape: shape)
            return zip(z, dz).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let eps: Float = 1e-2
        for (name, analytic, index) in [("q", dq, 0), ("k", dk, 1), ("v", dv, 2)] {
            for i in stride(from: 0, to: analytic.count, by: 5) {
                var args = [q, ok, ov]
                args[index][i] += eps; let plus = objective(args[0], args[1], args[2])
                args[index][i] -= 2 * eps; let minus = objective(args[0], args[1], args[2])
                let fd = (plus - minus) / Double(2 * eps)
                #expect(abs(fd - Double(analytic[i])) < 2e-3 * max(1, abs(fd)), "d\(name)[\(i)]: \(analytic[i]) vs \(fd)")
            }
        }
    }
}
