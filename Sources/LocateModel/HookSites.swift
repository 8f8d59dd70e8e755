/// The sites of a run with hooks, forward: interventions and recordings at every hook, and the
/// stop after `options.stopAfter`.
struct HookSites: BlockSites {
    let model: Transformer
    let plan: ForwardPlan
    let stopAfter: HookPoint?
    var hooks: HookExecutor

    init(model: Transformer, plan: ForwardPlan, options: RunOptions) {
        self.model = model; self.plan = plan; stopAfter = options.stopAfter
        hooks = HookExecutor(options: options, sequenceLength: plan.length)
    }

    @inline(__always)
    func isActive(_ site: HookPoint.Site, layer: Int) -> Bool {
        let hook = HookPoint(site: site, layer: layer)
        return hooks.isActive(hook) || stopAfter == hook
    }

    mutating func visit(_ site: HookPoint.Site, layer: Int, _ buffer: Buffer) throws(ModelError) -> Bool {
        try visit(HookPoint(site: site, layer: layer), buffer)
    }

    /// Visits a hook outside the blocks (embeddings, final norm, logits at `positions`).
    mutating func visit(_ hook: HookPoint, _ buffer: Buffer, positions: [Int]? = nil) throws(ModelError) -> Bool {
        if hooks.isActive(hook) {
            try hooks.visit(hook, SiteView.make(model: model, plan: plan, pointer: buffer.pointer, site: hook.site, positions: positions))
        }
        return stopAfter == hook
    }
}

/// The sites of a run with hooks, backward: the gradient at each hook asked for is recorded
/// (with respect to the value after the hook's interventions), then carried through them.
struct GradientSites: BlockSites {
    let model: Transformer
    let plan: ForwardPlan
    let wanted: Set<HookPoint>
    let hooks: HookExecutor
    var gradients = ActivationCache()

    @inline(__always)
    func isActive(_ site: HookPoint.Site, layer: Int) -> Bool {
        let hook = HookPoint(site: site, layer: layer)
        return wanted.contains(hook) || hooks.hasInterventions(at: hook)
    }

    mutating func visit(_ site: HookPoint.Site, layer: Int, _ buffer: Buffer) throws(ModelError) -> Bool {
        try visit(HookPoint(site: site, layer: layer), buffer)
        return false
    }

    mutating func visit(_ hook: HookPoint, _ buffer: Buffer, positions: [Int]? = nil) throws(ModelError) {
        let record = wanted.contains(hook)
        guard record || hooks.hasInterventions(at: hook) else { return }
        let view = SiteView.make(model: model, plan: plan, pointer: buffer.pointer, site: hook.site, positions: positions)
        if record { gradients.set(hook, view.snapshot(), positions: view.positions) }
        try hooks.transposeInterventions(at: hook, view)
    }
}
