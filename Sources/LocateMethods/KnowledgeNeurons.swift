import Foundation
import LocateCore
import LocateModel

/// Knowledge neurons by integrated gradients (Dai et al. 2022, as ported by EleutherAI).
///
/// For each layer l the neuron activations a ∈ ℝ^F at the last position are replaced by α·a for
/// α on a path from 0 to 1, and the attribution of neuron i is
/// a_i · mean_k ∂p(target | α_k a)/∂a_i (a Riemann sum of the path integral).
///
/// Scaling the last position at layer l changes nothing at earlier positions or layers, so each
/// layer resumes a cached clean run at (l, T−1): all integration steps go through layers ≥ l at
/// one position as one batch, forward and backward.
///
/// Legend: L layers asked for, F MLP width, R integration steps (batch rows).
public struct KnowledgeNeurons: Sendable {
    public let model: Transformer

    public init(model: Transformer) { self.model = model }

    /// Where α runs on the path from 0 to 1.
    public enum Rule: String, Sendable, Codable, CaseIterable {
        /// EleutherAI's `torch.linspace(0, 1, m)`: α_k = k/(m−1), both ends included (α = 0 when m = 1).
        case linspace
        /// Dai et al.'s left Riemann sum: α_k = k/m, k = 0…m−1.
        case left

        public func alphas(steps m: Int) -> [Float] {
            switch self {
            case .linspace: return m == 1 ? [0] : (0..<m).map { Float($0) / Float(m - 1) }
            case .left: return (0..<m).map { Float($0) / Float(m) }
            }
        }
    }

    /// Which activation is attributed.
    public enum Site: String, Sendable, Codable, CaseIterable {
        /// `mlp.hook_post`, act(gate)·up, the input of W_out: Dai's neuron coefficient.
        case post
        /// `mlp.hook_pre`, the gate pre-activation: EasyEdit's hook on `gate_proj` for llama models.
        case gate

        public func hook(_ layer: Int) -> HookPoint {
            switch self {
            case .post: return .mlpPost(layer)
            case .gate: return .mlpPre(layer)
            }
        }
    }

    public struct Settings: Sendable, Codable {
        public var steps: Int = 20
        public var rule: Rule = .linspace
        public var site: Site = .post
        /// Layers to attribute (all when nil).
        public var layers: [Int]? = nil
        public init(steps: Int = 20, rule: Rule = .linspace, site: Site = .post, layers: [Int]? = nil) {
            self.steps = steps; self.rule = rule; self.site = site; self.layers = layers
        }
    }

    /// One neuron: a unit of the attributed activation in one layer.
    public struct Neuron: Sendable, Hashable, Codable, Comparable {
        public let layer: Int
        public let index: Int
        public init(layer: Int, index: Int) { self.layer = layer; self.index = index }
        public static func < (a: Neuron, b: Neuron) -> Bool { (a.layer, a.index) < (b.layer, b.index) }
    }

    /// Attributions of one prompt.
    public struct Attribution: Sendable {
        public let tokens: [Int]
        public let target: Int
        /// p(target) of the clean run.
        public let probability: Float
        public let settings: Settings
        public let layers: [Int]
        public let width: Int
        /// [L, F] attribution scores, row i for `layers[i]`.
        public let scores: [Float]
        /// [L, F] clean activations at the last position.
        public let activations: [Float]

        public func score(_ n: Neuron) -> Float? {
            guard let row = layers.firstIndex(of: n.layer), n.index >= 0, n.index < width else { return nil }
            return scores[row * width + n.index]
        }
        public func activation(_ n: Neuron) -> Float? {
            guard let row = layers.firstIndex(of: n.layer), n.index >= 0, n.index < width else { return nil }
            return activations[row * width + n.index]
        }
        public var maxScore: Float { scores.max() ?? 0 }

        /// The `k` highest-scoring neurons, best first (ties: lower layer, then lower index).
        public func top(_ k: Int) -> [Neuron] {
            let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
            return order.prefix(k).map { Neuron(layer: layers[$0 / width], index: $0 % width) }
        }

        /// Dai's coarse neurons: score > t × the maximum score over all layers and neurons.
        public func coarse(threshold t: Float) -> [Neuron] {
            let cut = t * maxScore
            guard maxScore > 0 else { return [] }
            return scores.indices.filter { scores[$0] > cut }.map { Neuron(layer: layers[$0 / width], index: $0 % width) }
        }

        /// Attribution mass per layer: the sum of the positive scores (what pushes p(target) up).
        public var layerMass: [Float] {
            (0..<layers.count).map { row in
                var s: Float = 0
                for i in 0..<width { s += max(0, scores[row * width + i]) }
                return s
            }
        }
        /// The sum of all scores per layer; by completeness ≈ p(clean) − p(layer zeroed at the last position).
        public var layerSum: [Float] {
            (0..<layers.count).map { row in (0..<width).reduce(Float(0)) { $0 + scores[row * width + $1] } }
        }
    }

    /// Integrated-gradient attributions of p(`target`) at the last position of `tokens`: one
    /// clean run, then every layer's integration steps together in one staircase batch
    /// (`Transformer.enteringRowsGradients`), forward and backward.
    public func attribute(tokens: [Int], target: Int, settings: Settings = Settings()) throws -> Attribution {
        let (layers, F) = try validate(tokens: tokens, target: target, settings: settings)
        let T = tokens.count
        let hooks = layers.map { settings.site.hook($0) }
        let clean = try model.run(tokens: [tokens], RunOptions(record: .hooks(hooks), keepState: true))
        let probability = clean.logProbability(of: target, row: 0, position: T - 1).map { Float(exp(Double($0))) } ?? 0
        let alphas = settings.rule.alphas(steps: settings.steps)
        let R = alphas.count
        // Dai's integration steps: the site's clean value at the last position scaled by each α,
        // entering the model there (the rest of the block and above recomputed by the model).
        var sites: [[Float]] = []                                                // per layer [F]
        var entries: [EnteringRows] = []
        for (row, l) in layers.enumerated() {
            let entry = clean.cache.entry(hooks[row])!
            let i = entry.positions.firstIndex(of: T - 1)!
            let a = Array(entry.tensor.data[(i * F)..<((i + 1) * F)])
            sites.append(a)
            entries.append(EnteringRows(block: l, site: settings.site == .post ? .mlpPost : .mlpPre,
                                        values: alphas.flatMap { alpha in a.map { alpha * $0 } }))
        }
        let result = try model.enteringRowsGradients(kept: clean.state!, entries: entries, objective: .probability(token: target))
        var scores = [Float](repeating: 0, count: layers.count * F)
        var activations = [Float](repeating: 0, count: layers.count * F)
        for row in layers.indices {
            let dSite = result.gradients[row], a = sites[row]                    // [R, F], [F]
            for i in 0..<F {
                var sum: Float = 0
                for r in 0..<R { sum += dSite[r * F + i] }
                scores[row * F + i] = a[i] * sum / Float(R)
                activations[row * F + i] = a[i]
            }
        }
        return Attribution(tokens: tokens, target: target, probability: probability, settings: settings,
                           layers: layers, width: F, scores: scores, activations: activations)
    }

    /// Attributions of a multi-token answer: each answer token attributed after the prompt and
    /// the answer tokens before it (teacher forcing), scores averaged (EleutherAI's rule for
    /// multi-token targets). `target` and `probability` are those of the first token.
    public func attribute(tokens: [Int], answer: [Int], settings: Settings = Settings()) throws -> Attribution {
        guard let first = answer.first else { throw LocatingError.emptyAnswer }
        let head = try attribute(tokens: tokens, target: first, settings: settings)
        guard answer.count > 1 else { return head }
        var scores = head.scores
        for k in 1..<answer.count {
            let next = try attribute(tokens: tokens + answer[0..<k], target: answer[k], settings: settings)
            for i in scores.indices { scores[i] += next.scores[i] }
        }
        let n = Float(answer.count)
        return Attribution(tokens: tokens, target: first, probability: head.probability, settings: settings, layers: head.layers,
                           width: head.width, scores: scores.map { $0 / n }, activations: head.activations)
    }

    /// The same attributions by one resumed forward and backward run per layer through the
    /// general hook machinery (`Transformer.gradient` under a `.replace` intervention): slower,
    /// kept as an independent check of `attribute`.
    public func attributeLayerByLayer(tokens: [Int], target: Int, settings: Settings = Settings()) throws -> Attribution {
        let (layers, F) = try validate(tokens: tokens, target: target, settings: settings)
        let T = tokens.count
        let site = settings.site.hook(0).site
        let clean = try model.run(tokens: [tokens], RunOptions(record: .sites([site]), keepState: true))
        let probability = clean.logProbability(of: target, row: 0, position: T - 1).map { Float(exp(Double($0))) } ?? 0
        let state = clean.state!
        let alphas = settings.rule.alphas(steps: settings.steps)
        let R = alphas.count
        var scores = [Float](repeating: 0, count: layers.count * F)
        var activations = [Float](repeating: 0, count: layers.count * F)
        for (row, l) in layers.enumerated() {
            let hook = settings.site.hook(l)
            let entry = clean.cache.entry(hook)!
            let last = entry.positions.firstIndex(of: T - 1)!
            let a = Array(entry.tensor.data[(last * F)..<((last + 1) * F)])     // [F]
            var scaled = [Float](repeating: 0, count: R * F)                    // [R, 1, F]
            for r in 0..<R { for i in 0..<F { scaled[r * F + i] = alphas[r] * a[i] } }
            let objective = Objective((0..<R).map { (Float(1), Objective.Term.probability(row: $0, position: T - 1, token: target)) })
            let options = RunOptions(interventions: [.replace(hook, with: Tensor(shape: [R, 1, F], data: scaled), positions: .last)],
                                     resume: Resume(state: state, layer: l, position: T - 1))
            let g = try model.gradient(tokens: Array(repeating: tokens, count: R), objective: objective, at: [hook], options: options)
            guard let sum = g.addedVectorGradient(at: hook, positions: [T - 1]) else {
                throw LocatingError.missingGradient(hook: hook.description)
            }
            for i in 0..<F {
                scores[row * F + i] = a[i] * sum[i] / Float(R)
                activations[row * F + i] = a[i]
            }
        }
        return Attribution(tokens: tokens, target: target, probability: probability, settings: settings,
                           layers: layers, width: F, scores: scores, activations: activations)
    }

    private func validate(tokens: [Int], target: Int, settings: Settings) throws -> (layers: [Int], width: Int) {
        let L = model.layerCount
        let layers = settings.layers ?? Array(0..<L)
        guard settings.steps >= 1 else { throw LocatingError.steps(settings.steps) }
        guard !tokens.isEmpty else { throw ModelError.emptyPrompt }
        guard tokens.count <= model.config.contextLength else { throw ModelError.promptTooLong(tokens: tokens.count, context: model.config.contextLength) }
        guard target >= 0, target < model.config.vocabSize else { throw ModelError.tokenOutOfRange(id: target, vocabulary: model.config.vocabSize) }
        guard !layers.isEmpty else { throw LocatingError.noLayers }
        guard Set(layers).count == layers.count else { throw LocatingError.repeatedLayers(layers) }
        for l in layers where l < 0 || l >= L {
            throw ModelError.layerOutOfRange(hook: settings.site.hook(0).description, layer: l, layers: L)
        }
        return (layers, model.width(of: settings.site.hook(0).site))
    }
}
