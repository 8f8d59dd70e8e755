import LocateCore

/// A hook's activation inside a running forward pass: a pointer and how to index it.
///
/// Position-major sites hold [B, P, W]; attention maps hold [B, H, P, Tk] and index units as
/// head·Tk + key. `positions[i]` is the absolute position of position row i.
struct SiteView {
    let pointer: UnsafeMutablePointer<Float>
    let batch: Int
    let positions: [Int]
    let width: Int              // units per position: W, or H·Tk for attention maps
    let attentionHeads: Int?    // H for attention maps
    let trailingShape: [Int]    // recorded shape after [B, P] (position-major)
    let unitsPerHead: Int       // Dh for q/k/v/z, Tk for attention maps, 0 when heads do not apply

    @inline(__always)
    func offset(row b: Int, position pi: Int, unit u: Int) -> Int {
        SiteView.offset(row: b, position: pi, unit: u, positionCount: positions.count, width: width, heads: attentionHeads)
    }

    @inline(__always)
    static func offset(row b: Int, position pi: Int, unit u: Int, positionCount: Int, width: Int, heads: Int?) -> Int {
        if let heads {
            let tk = width / heads
            return ((b * heads + u / tk) * positionCount + pi) * tk + u % tk
        }
        return (b * positionCount + pi) * width + u
    }

    var count: Int { batch * positions.count * width }

    /// The recorded tensor: [B, P, trailing…] or [B, H, P, Tk].
    func snapshot() -> Tensor {
        let data = Array(UnsafeBufferPointer(start: pointer, count: count))
        if let heads = attentionHeads {
            return Tensor(shape: [batch, heads, positions.count, width / heads], data: data)
        }
        return Tensor(shape: [batch, positions.count] + trailingShape, data: data)
    }
}

extension SiteView {
    /// The view of a site's buffer in a run: positions default to the run's computed positions.
    static func make(model: Transformer, plan: ForwardPlan, pointer: UnsafeMutablePointer<Float>, site: HookPoint.Site, positions: [Int]? = nil) -> SiteView {
        let c = model.config
        let ps = positions ?? plan.positions
        switch site {
        case .attnScores, .attnPattern:
            return SiteView(pointer: pointer, batch: plan.batch, positions: ps, width: c.headCount * plan.length,
                            attentionHeads: c.headCount, trailingShape: [], unitsPerHead: plan.length)
        case .attnQ, .attnZ, .attnK, .attnV:
            let shape = model.trailingShape(of: site)
            return SiteView(pointer: pointer, batch: plan.batch, positions: ps, width: shape[0] * shape[1],
                            attentionHeads: nil, trailingShape: shape, unitsPerHead: shape[1])
        default:
            return SiteView(pointer: pointer, batch: plan.batch, positions: ps, width: model.width(of: site),
                            attentionHeads: nil, trailingShape: model.trailingShape(of: site), unitsPerHead: 0)
        }
    }
}

/// Applies the run's interventions and recording at each hook it visits.
struct HookExecutor {
    let interventions: [HookPoint: [Intervention]]
    let recording: Recording
    let sources: [String: ActivationCache]
    let sequenceLength: Int
    var cache = ActivationCache()

    init(options: RunOptions, sequenceLength: Int) {
        var byHook: [HookPoint: [Intervention]] = [:]
        for i in options.interventions { byHook[i.hook, default: []].append(i) }
        interventions = byHook
        recording = options.record
        sources = options.sources
        self.sequenceLength = sequenceLength
    }

    /// Whether anything happens at a hook (so the engine can skip building a view).
    @inline(__always)
    func isActive(_ hook: HookPoint) -> Bool {
        interventions[hook] != nil || recording.includes(hook)
    }

    mutating func visit(_ hook: HookPoint, _ view: SiteView) throws(ModelError) {
        var recordHere = recording.includes(hook)
        for intervention in interventions[hook] ?? [] {
            if case .record = intervention.edit { recordHere = true; continue }
            try apply(intervention, to: view)
        }
        if recordHere {
            cache.store(hook, tensor: view.snapshot(), positions: view.positions)
        }
    }

    /// Offsets into the view of every selected entry, in (row, position, unit) order.
    func selectedOffsets(_ i: Intervention, _ view: SiteView) throws(ModelError) -> [Int] {
        let rows = try resolveRows(i, view), positions = try resolvePositions(i, view), units = try resolveUnits(i, view)
        var offsets: [Int] = []
        offsets.reserveCapacity(rows.count * positions.count * units.count)
        for b in rows { for pi in positions { for u in units { offsets.append(view.offset(row: b, position: pi, unit: u)) } } }
        return offsets
    }

    func resolveRows(_ i: Intervention, _ view: SiteView) throws(ModelError) -> [Int] {
        switch i.rows {
        case .all: return Array(0..<view.batch)
        case .at(let rows):
            for r in rows where r < 0 || r >= view.batch {
                throw .rowOutOfRange(hook: i.hook.description, row: r, rows: view.batch)
            }
            return rows
        }
    }

    /// Absolute positions → indices into the view's position rows.
    func resolvePositions(_ i: Intervention, _ view: SiteView) throws(ModelError) -> [Int] {
        let absolute: [Int]
        switch i.positions {
        case .all: return Array(0..<view.positions.count)
        case .last: absolute = [sequenceLength - 1]
        case .at(let p): absolute = p
        case let .range(lower, upper): absolute = Array(lower..<max(lower, upper))
        }
        var out: [Int] = []
        for p in absolute {
            guard p >= 0, p < sequenceLength else {
                throw .positionOutOfRange(hook: i.hook.description, position: p, positions: sequenceLength)
            }
            guard let index = view.positions.firstIndex(of: p) else {
                throw .invalidResume("\(i.hook): position \(p) is not computed by this run (it starts at position \(view.positions.first ?? 0) or computes only selected logits)")
            }
            out.append(index)
        }
        return out
    }

    func resolveUnits(_ i: Intervention, _ view: SiteView) throws(ModelError) -> [Int] {
        switch i.units {
        case .all: return Array(0..<view.width)
        case .at(let units):
            for u in units where u < 0 || u >= view.width {
                throw .unitOutOfRange(hook: i.hook.description, unit: u, units: view.width)
            }
            return units
        case .heads(let heads):
            guard view.unitsPerHead > 0 else {
                throw .noHeads(hook: i.hook.description)
            }
            let headCount = view.width / view.unitsPerHead
            var out: [Int] = []
            for h in heads {
                guard h >= 0, h < headCount else { throw .unitOutOfRange(hook: "\(i.hook) (head)", unit: h, units: headCount) }
                out += Array(h * view.unitsPerHead ..< (h + 1) * view.unitsPerHead)
            }
            return out
        }
    }

    private func apply(_ i: Intervention, to view: SiteView) throws(ModelError) {
        let rows = try resolveRows(i, view)
        let positions = try resolvePositions(i, view)
        let units = try resolveUnits(i, view)
        let p = view.pointer
        switch i.edit {
        case .record:
            return
        case .zero, .scale:
            var factor: Float = 0
            if case .scale(let f) = i.edit { factor = f }
            // zero is exact even for inf/nan inputs
            for o in try selectedOffsets(i, view) { p[o] = factor == 0 ? 0 : p[o] * factor }
        case .add(let t), .replace(let t):
            let nr = rows.count, np = positions.count, nu = units.count
            let broadcast: (Int, Int, Int) -> Int
            if t.count == nu { broadcast = { _, _, k in k } }
            else if t.count == np * nu { broadcast = { _, j, k in j * nu + k } }
            else if t.count == nr * np * nu { broadcast = { i, j, k in (i * np + j) * nu + k } }
            else {
                throw .interventionShape(hook: i.hook.description,
                                         expected: "[\(nu)], [\(np), \(nu)] or [\(nr), \(np), \(nu)] (rows, positions, units selected)",
                                         got: t.shape)
            }
            let isAdd: Bool = { if case .add = i.edit { return true } else { return false } }()
            for (ri, b) in rows.enumerated() {
                for (pj, pi) in positions.enumerated() {
                    for (uk, u) in units.enumerated() {
                        let o = view.offset(row: b, position: pi, unit: u)
                        let value = t.data[broadcast(ri, pj, uk)]
                        p[o] = isAdd ? p[o] + value : value
                    }
                }
            }
        case .noise(let std, let seed):
            let rng = RandomSource(seed: seed)
            for o in try selectedOffsets(i, view) { p[o] += Float(rng.gaussian(std: Double(std))) }
        case .patch(let name):
            guard let source = sources[name]?.entry(i.hook) else {
                throw .patchSourceMissing(hook: i.hook.description, source: "\"\(name)\"")
            }
            let st = source.tensor
            let sourceBatch = st.shape[0]
            guard sourceBatch == 1 || sourceBatch == view.batch, st.count / sourceBatch == source.positions.count * view.width else {
                throw .interventionShape(hook: i.hook.description, expected: "a source recorded with 1 or \(view.batch) rows and the same width", got: st.shape)
            }
            var sourceIndex: [Int] = []
            for pi in positions {
                guard let si = source.positions.firstIndex(of: view.positions[pi]) else {
                    throw .patchSourceMissing(hook: i.hook.description, source: "\"\(name)\" (position \(view.positions[pi]))")
                }
                sourceIndex.append(si)
            }
            for b in rows {
                let sb = sourceBatch == 1 ? 0 : b
                for (j, pi) in positions.enumerated() {
                    for u in units {
                        p[view.offset(row: b, position: pi, unit: u)] = st.data[SiteView.offset(row: sb, position: sourceIndex[j], unit: u,
                                                                                                   positionCount: source.positions.count, width: view.width, heads: view.attentionHeads)]
                    }
                }
            }
        }
    }

    /// Carries a gradient back through the interventions at a hook (in reverse order): the
    /// gradient with respect to the value after them becomes the gradient with respect to the
    /// value before them. Zeroing, replacing and patching cut the gradient of the selected
    /// entries; scaling multiplies it; adding (a vector or noise) passes it through.
    func transposeInterventions(at hook: HookPoint, _ view: SiteView) throws(ModelError) {
        for i in (interventions[hook] ?? []).reversed() {
            let factor: Float
            switch i.edit {
            case .zero, .replace, .patch: factor = 0
            case .scale(let f): factor = f
            case .add, .noise, .record: continue
            }
            for o in try selectedOffsets(i, view) { view.pointer[o] = factor == 0 ? 0 : view.pointer[o] * factor }
        }
    }

    func hasInterventions(at hook: HookPoint) -> Bool { interventions[hook] != nil }
}
