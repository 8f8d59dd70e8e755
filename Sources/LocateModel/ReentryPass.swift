import LocateCore

/// One staircase of re-entries through the blocks: groups enter at their block, then every
/// entered group runs through `TransformerBlock` with attention over the kept prefix.
struct ReentryPass {
    let model: Transformer
    let kept: RunState
    let values: [PutBack: [Float]]
    let chunk: ReentryPlan.Chunk

    /// Runs the staircase and writes each re-entry's final normalized states at `positions` into
    /// `output` ([R, Bk, P, D], at the re-entry's index). `step` is called per block.
    func run(positions: [Int], into output: UnsafeMutablePointer<Float>, step: () -> Void) {
        let L = model.layerCount, D = model.config.embeddingLength, T = kept.positions, Bk = kept.batch
        let x = Buffer(chunk.rows * D)                     // [N, D] residual stream
        let scratch = BlockScratch(rows: chunk.rows, config: ModelConfigShape(model))
        var layout = RowLayout()
        for g in chunk.groups {
            layout.append(model: model, sequences: g.members.count * Bk, firstPosition: g.position, length: T - g.position)
        }
        var attention = KeptPrefixAttention(model: model, kept: kept)
        var sites = ReentrySites(model: model, kept: kept, values: values, groups: chunk.groups, layout: layout)
        var entered = 0
        for j in chunk.groups[0].block...L {
            while entered < chunk.groups.count && chunk.groups[entered].block == j {
                enter(entered, layout: layout, block: j, x: x)
                entered += 1
            }
            defer { step() }
            if j == L { break }
            sites.entered = entered
            // no site stops a staircase and none throws: its values were checked before
            _ = try? TransformerBlock(model: model, layer: j)
                .forward(x, layout: layout.prefix(entered), scratch: scratch, attention: &attention, sites: &sites, tape: nil)
        }
        finish(positions: positions, layout: layout, x: x, into: output)
    }

    /// Fills a group's rows with the kept run's input of block `block` at positions ≥ the group's
    /// position, and puts back the replaced input there.
    private func enter(_ index: Int, layout: RowLayout, block: Int, x: Buffer) {
        let g = chunk.groups[index], segment = layout.segments[index]
        let D = model.config.embeddingLength, T = kept.positions, Bk = kept.batch, tq = segment.length
        kept.residual[block].withPointer { residual in
            for (mi, member) in g.members.enumerated() {
                for s in 0..<Bk {
                    let row = segment.firstRow + (mi * Bk + s) * tq
                    (x.pointer + row * D).update(from: residual + (s * T + g.position) * D, count: tq * D)
                    for hook in member.reentry.replaced where hook.site == .residPost {
                        values[PutBack(hook: hook, position: g.position)]!.withPointer { (x.pointer + row * D).update(from: $0, count: D) }
                    }
                }
            }
        }
    }

    /// Final norm of each re-entry's rows at `positions` (a position before the re-entered one is
    /// the kept run's) into output [R, Bk, P, D].
    private func finish(positions: [Int], layout: RowLayout, x: Buffer, into output: UnsafeMutablePointer<Float>) {
        let D = model.config.embeddingLength, T = kept.positions, Bk = kept.batch, P = positions.count
        kept.residual[model.layerCount].withPointer { residual in
            for (g, segment) in zip(chunk.groups, layout.segments) {
                let tq = segment.length
                for (mi, member) in g.members.enumerated() {
                    for s in 0..<Bk {
                        for (pi, p) in positions.enumerated() {
                            let source = p >= g.position ? UnsafePointer(x.pointer + (segment.firstRow + (mi * Bk + s) * tq + p - g.position) * D)
                                                         : residual + (s * T + p) * D
                            model.finalNormalize(source, rows: 1, into: output + ((member.index * Bk + s) * P + pi) * D)
                        }
                    }
                }
            }
        }
    }
}

/// The sites of a staircase: at a replaced sublayer output, the given value is put back at the
/// re-entered position of every member that replaces it.
struct ReentrySites: BlockSites {
    let model: Transformer
    let kept: RunState
    let values: [PutBack: [Float]]
    let groups: [ReentryPlan.Group]
    let layout: RowLayout
    /// Groups that have entered (a prefix of `groups`).
    var entered = 0
    /// Every replaced sublayer output of the chunk.
    let active: Set<HookPoint>

    init(model: Transformer, kept: RunState, values: [PutBack: [Float]], groups: [ReentryPlan.Group], layout: RowLayout) {
        self.model = model; self.kept = kept; self.values = values; self.groups = groups; self.layout = layout
        active = Set(groups.flatMap { $0.members.flatMap { $0.reentry.replaced.filter { $0.site != .residPost } } })
    }

    @inline(__always)
    func isActive(_ site: HookPoint.Site, layer: Int) -> Bool {
        (site == .attnOut || site == .mlpOut) && active.contains(HookPoint(site: site, layer: layer))
    }

    mutating func visit(_ site: HookPoint.Site, layer: Int, _ buffer: Buffer) throws(ModelError) -> Bool {
        let hook = HookPoint(site: site, layer: layer), D = model.config.embeddingLength, Bk = kept.batch
        for (g, segment) in zip(groups.prefix(entered), layout.segments) {
            for (mi, member) in g.members.enumerated() where member.reentry.replaced.contains(hook) {
                values[PutBack(hook: hook, position: g.position)]!.withPointer { value in
                    for s in 0..<Bk { (buffer.pointer + (segment.firstRow + (mi * Bk + s) * segment.length) * D).update(from: value, count: D) }
                }
            }
        }
        return false
    }
}
