import Foundation
import LocateCore
import LocateModel

/// Using attributions: refining across paraphrases, and checking found neurons by suppressing
/// (×0) and amplifying (×2) them next to as many random neurons of the same layers.
extension KnowledgeNeurons {
    /// Dai et al.'s refinement over a bag of prompts of one fact: the neurons that are coarse in
    /// at least `share` of the prompts, in (layer, index) order.
    public static func refine(_ coarse: [[Neuron]], share: Double) -> [Neuron] {
        guard !coarse.isEmpty else { return [] }
        var counts: [Neuron: Int] = [:]
        for set in coarse { for n in Set(set) { counts[n, default: 0] += 1 } }
        let needed = share * Double(coarse.count)
        return counts.filter { Double($0.value) >= needed - 1e-9 }.keys.sorted()
    }

    /// p(target) at the last position, unchanged and with the neurons scaled.
    public struct Effect: Sendable, Codable, Equatable {
        public let before: Float
        /// Neurons set to 0.
        public let suppressed: Float
        /// Neurons doubled.
        public let amplified: Float
        public var suppressedChange: Float { (suppressed - before) / max(before, 1e-12) }
        public var amplifiedChange: Float { (amplified - before) / max(before, 1e-12) }
    }

    public struct Check: Sendable, Codable {
        public let neurons: [Neuron]
        public let found: Effect
        public let randomNeurons: [Neuron]
        public let random: Effect
    }

    /// As many neurons per layer as `neurons` has, drawn uniformly without replacement from the
    /// others of that layer (seeded, GSL MT19937).
    public func randomNeurons(like neurons: [Neuron], site: Site, seed: UInt64) -> [Neuron] {
        let F = model.width(of: site.hook(0).site)
        let rng = RandomSource(seed: seed)
        var out: [Neuron] = []
        let byLayer = Dictionary(grouping: neurons, by: \.layer)
        for layer in byLayer.keys.sorted() {
            let taken = Set(byLayer[layer]!.map(\.index))
            var pool = (0..<F).filter { !taken.contains($0) }
            for _ in 0..<min(taken.count, pool.count) {
                let j = rng.uniformInt(below: pool.count)
                out.append(Neuron(layer: layer, index: pool[j]))
                pool.swapAt(j, pool.count - 1); pool.removeLast()
            }
        }
        return out.sorted()
    }

    /// p(target) with `neurons` suppressed and amplified at the last position, and the same for
    /// random neurons of the same layers: one batched run of five rows.
    public func check(neurons: [Neuron], tokens: [Int], target: Int, site: Site = .post, seed: UInt64 = 1) throws -> Check {
        let random = randomNeurons(like: neurons, site: site, seed: seed)
        func scaling(_ set: [Neuron], by factor: Float, row: Int) -> [Intervention] {
            Dictionary(grouping: set, by: \.layer).sorted { $0.key < $1.key }.map { layer, members in
                .scale(site.hook(layer), by: factor, rows: .at([row]), positions: .last, units: .at(members.map(\.index).sorted()))
            }
        }
        let interventions = scaling(neurons, by: 0, row: 1) + scaling(neurons, by: 2, row: 2)
            + scaling(random, by: 0, row: 3) + scaling(random, by: 2, row: 4)
        let run = try model.run(tokens: Array(repeating: tokens, count: 5), RunOptions(interventions: interventions))
        let p = (0..<5).map { row in run.logProbability(of: target, row: row).map { Float(exp(Double($0))) } ?? 0 }
        return Check(neurons: neurons, found: Effect(before: p[0], suppressed: p[1], amplified: p[2]),
                     randomNeurons: random, random: Effect(before: p[0], suppressed: p[3], amplified: p[4]))
    }
}
