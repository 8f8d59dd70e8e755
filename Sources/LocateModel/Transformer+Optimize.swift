import LocateCore

/// Settings for optimizing a vector added at a hook (ROME's v*, MEMIT's z).
public struct VectorOptimization: Sendable {
    /// Where the vector is added: the hook and the (row, position) pairs that receive it.
    public var hook: HookPoint
    public var sites: [(row: Int, position: Int)]
    public var steps: Int = 20
    public var learningRate: Float = 0.5
    /// Decoupled weight decay (AdamW).
    public var weightDecay: Float = 0
    /// Radius of the L2 ball the vector is projected onto after each step (nil: no limit).
    public var maxNorm: Float? = nil
    /// Stop early once the loss (−objective) falls below this.
    public var stopBelow: Float? = nil

    public init(hook: HookPoint, sites: [(row: Int, position: Int)], steps: Int = 20, learningRate: Float = 0.5,
                weightDecay: Float = 0, maxNorm: Float? = nil, stopBelow: Float? = nil) {
        self.hook = hook; self.sites = sites; self.steps = steps; self.learningRate = learningRate
        self.weightDecay = weightDecay; self.maxNorm = maxNorm; self.stopBelow = stopBelow
    }
}

public struct VectorOptimizationResult: Sendable {
    public let vector: [Float]
    /// The objective before each step (and after the last).
    public let objectives: [Float]
}

extension Transformer {
    /// Maximizes `objective` over a vector δ added at `settings.hook` at each of its sites, by
    /// Adam on −objective with projection onto the norm ball, starting from δ = 0 (or `initial`).
    public func optimizeAddedVector(tokens: [[Int]], objective: Objective, settings: VectorOptimization,
                                    initial: [Float]? = nil, options: RunOptions = RunOptions()) throws(ModelError) -> VectorOptimizationResult {
        let width = settings.hook.site.isAttentionMap ? 0 : self.width(of: settings.hook.site)
        guard width > 0 else { throw .noVectorSite(hook: settings.hook.description) }
        guard !settings.sites.isEmpty else { throw .noVectorSite(hook: settings.hook.description) }
        var delta = initial ?? [Float](repeating: 0, count: width)
        guard delta.count == width else { throw .interventionShape(hook: settings.hook.description, expected: "[\(width)]", got: [delta.count]) }
        var adam = Adam(learningRate: settings.learningRate, weightDecay: settings.weightDecay)
        var history: [Float] = []
        for step in 0...settings.steps {
            var run = options
            run.interventions += settings.sites.map {
                .add(settings.hook, Tensor(shape: [width], data: delta), rows: .at([$0.row]), positions: .at([$0.position]))
            }
            let g = try gradient(tokens: tokens, objective: objective, at: [settings.hook], options: run)
            history.append(g.value)
            if step == settings.steps { break }
            if let stop = settings.stopBelow, -g.value < stop { break }
            let entry = g.activations.entry(settings.hook)!
            var grad = [Float](repeating: 0, count: width)
            let perRow = entry.positions.count * width
            for site in settings.sites {
                let pi = entry.positions.firstIndex(of: site.position)!
                let base = site.row * perRow + pi * width
                for u in 0..<width { grad[u] -= entry.tensor.data[base + u] }   // descend on −objective
            }
            adam.update(&delta, gradient: grad)
            if let r = settings.maxNorm { projectOntoBall(&delta, radius: r) }
        }
        return VectorOptimizationResult(vector: delta, objectives: history)
    }
}
