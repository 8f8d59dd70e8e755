import Foundation
import LocateCore

extension Transformer {
    /// Final normalized states [R, Bk, P, D] of every row of a kept corrupted run under each of
    /// R restorations, at `positions`.
    ///
    /// For one restoration this equals a run resumed from `corrupted` at (entry block, restored
    /// position) with `.patch` interventions from `clean` (``Restoration/interventions(source:rows:)``),
    /// but nothing is computed twice and nothing is computed that a restoration cannot change:
    /// a restoration at position t recomputes only positions ≥ t of blocks ≥ its entry block, and
    /// reads the kept run's keys and values for positions < t in place. Restorations are run as a
    /// staircase: groups of equal (entry block, position) in order of entry block, so at block j
    /// every group that entered at or below j is one matrix product per weight. It runs as two
    /// staircases, one per core, with OpenBLAS set to one thread (process-wide) while it runs; the
    /// previous thread count is restored after.
    ///
    /// - Parameters:
    ///   - clean: one row's activations holding every restored hook at its position.
    ///   - maxRows: rows (one per computed position of a kept row) of one staircase; bounds memory
    ///     at about 31 KB per row.
    ///   - progress: (blocks done, blocks in all) over every staircase.
    ///
    /// Legend: Bk kept rows, T positions, D width, P scored positions, N rows active at a block.
    public func restoredFinalStates(corrupted: RunState, clean: ActivationCache, restorations: [Restoration],
                                    positions: [Int], maxRows: Int = 6144,
                                    progress: (Int, Int) -> Void = { _, _ in }) throws(ModelError) -> [Float] {
        let L = layerCount, D = config.embeddingLength, T = corrupted.positions, Bk = corrupted.batch
        guard corrupted.keys.count == L, corrupted.residual.count == L + 1 else {
            throw .invalidArgument("the corrupted run kept no state for every block")
        }
        for p in positions where p < 0 || p >= T { throw .positionOutOfRange(hook: "final normalized state", position: p, positions: T) }
        var values: [Restored: [Float]] = [:]           // clean [D] per restored (hook, position)
        for r in restorations {
            guard !r.layers.isEmpty, r.layers.lowerBound >= 0, r.layers.upperBound <= L else {
                throw .layerOutOfRange(hook: "restored \(r.site.rawValue)", layer: r.layers.isEmpty ? r.layers.lowerBound : r.layers.upperBound - 1, layers: L)
            }
            guard r.position >= 0, r.position < T else { throw .positionOutOfRange(hook: "restored \(r.site.rawValue)", position: r.position, positions: T) }
            for l in r.layers where values[Restored(hook: r.hook(l), position: r.position)] == nil {
                guard let entry = clean.entry(r.hook(l)), let i = entry.positions.firstIndex(of: r.position) else {
                    throw .invalidArgument("the clean activations lack \(r.hook(l)) at position \(r.position)")
                }
                values[Restored(hook: r.hook(l), position: r.position)] = Array(entry.tensor.data[(i * D)..<((i + 1) * D)])
            }
        }
        let P = positions.count
        var output = [Float](repeating: 0, count: restorations.count * Bk * P * D)
        // Two staircases, one per core, each with half of every group's cells, so their work is
        // equal; each runs its matrix products on its own core (OpenBLAS single-threaded), with no
        // synchronization between blocks and its elementwise work on the same core.
        let parts = restorations.count > 1 ? 2 : 1
        let plans = (0..<parts).map { part in
            RestorationPlan.chunks(restorations, part: part, of: parts, keptRows: Bk, length: T, maxRows: max(1, maxRows / parts))
        }
        let total = plans.joined().reduce(0) { $0 + L + 1 - $1.groups[0].entry }
        var done = 0
        let lock = NSLock()
        let threads = BLASInfo.threads
        if parts > 1 { BLASInfo.setThreads(1) }
        defer { if parts > 1 { BLASInfo.setThreads(threads) } }
        output.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            Parallel.workers(parts) { part in
                for chunk in plans[part] {
                    var pass = RestorationPass(model: self, corrupted: corrupted, values: values, chunk: chunk)
                    pass.run(positions: positions, into: out) {
                        lock.lock(); defer { lock.unlock() }
                        done += 1; progress(done, total)
                    }
                }
            }
        }
        return output
    }
}

/// A restored clean value: the hook and the position.
struct Restored: Hashable {
    let hook: HookPoint
    let position: Int
}

/// Restorations in staircase order, cut into chunks of bounded rows.
struct RestorationPlan {
    /// Cells of equal entry block and position; rows are cell-major, then kept row, then position.
    struct Group {
        let entry: Int
        let position: Int
        var cells: [(index: Int, restoration: Restoration)]
        var firstRow = 0
    }
    struct Chunk {
        var groups: [Group]
        var rows: Int
    }

    /// The staircases of one part: in staircase order, every `parts`-th cell from the `part`-th on
    /// (counted across groups, so groups of one cell are shared out too).
    static func chunks(_ restorations: [Restoration], part: Int = 0, of parts: Int = 1, keptRows: Int, length: Int, maxRows: Int) -> [Chunk] {
        let all = Dictionary(grouping: restorations.enumerated().map { (index: $0.offset, restoration: $0.element) }) {
            [$0.restoration.entryBlock, $0.restoration.position]
        }
        var counted = 0
        var shares: [(key: [Int], cells: [(index: Int, restoration: Restoration)])] = []
        for key in all.keys.sorted(by: { ($0[0], $0[1]) < ($1[0], $1[1]) }) {
            let cells = all[key]!.sorted { $0.index < $1.index }
            let mine = cells.indices.filter { (counted + $0) % parts == part }.map { cells[$0] }
            counted += cells.count
            if !mine.isEmpty { shares.append((key, mine)) }
        }
        var chunks: [Chunk] = []
        var current = Chunk(groups: [], rows: 0)
        for (key, list) in shares {
            let cellRows = keptRows * (length - key[1])
            var cells = list[...]
            while !cells.isEmpty {
                if current.rows > 0 && current.rows + cellRows > maxRows {
                    chunks.append(current); current = Chunk(groups: [], rows: 0)
                }
                let room = max(1, (maxRows - current.rows) / cellRows)
                let taken = cells.prefix(room)
                cells = cells.dropFirst(taken.count)
                current.groups.append(Group(entry: key[0], position: key[1], cells: Array(taken), firstRow: current.rows))
                current.rows += taken.count * cellRows
            }
        }
        if current.rows > 0 { chunks.append(current) }
        return chunks
    }
}

/// One staircase of restorations through the blocks.
struct RestorationPass {
    let model: Transformer
    let corrupted: RunState
    let values: [Restored: [Float]]
    let chunk: RestorationPlan.Chunk

    // N = chunk rows
    let x: Buffer          // [N, D]  residual stream
    let h: Buffer          // [N, D]  normalized input of attention / MLP
    let q: Buffer          // [N, H·Dh]
    let k: Buffer          // [N, Hkv·Dh]
    let v: Buffer          // [N, Hkv·Dh]
    let z: Buffer          // [N, H·Dh]
    let out: Buffer        // [N, D]
    let gate: Buffer       // [N, F]
    let up: Buffer         // [N, F]
    let post: Buffer       // [N, F]

    init(model: Transformer, corrupted: RunState, values: [Restored: [Float]], chunk: RestorationPlan.Chunk) {
        self.model = model; self.corrupted = corrupted; self.values = values; self.chunk = chunk
        let c = model.config, n = chunk.rows
        x = Buffer(n * c.embeddingLength); h = Buffer(n * c.embeddingLength); out = Buffer(n * c.embeddingLength)
        q = Buffer(n * c.headCount * c.headDim); z = Buffer(n * c.headCount * c.headDim)
        k = Buffer(n * c.headCountKV * c.headDim); v = Buffer(n * c.headCountKV * c.headDim)
        gate = Buffer(n * c.feedForwardLength); up = Buffer(n * c.feedForwardLength); post = Buffer(n * c.feedForwardLength)
    }

    /// Runs the staircase and writes each cell's final normalized states at `positions` into
    /// `output` ([R, Bk, P, D], at the cell's restoration index). `step` is called per block.
    mutating func run(positions: [Int], into output: UnsafeMutablePointer<Float>, step: () -> Void) {
        let c = model.config, L = model.layerCount, D = c.embeddingLength, F = c.feedForwardLength
        let H = c.headCount, Hkv = c.headCountKV, Dh = c.headDim, kv = Hkv * Dh
        let T = corrupted.positions, Bk = corrupted.batch
        var tables: [Int: (cos: [Float], sin: [Float])] = [:]
        for g in chunk.groups where tables[g.position] == nil { tables[g.position] = model.rope.tables(start: g.position, count: T - g.position) }

        var active = 0                                     // rows of groups that have entered
        var entered = 0                                    // groups that have entered
        for j in chunk.groups[0].entry...L {
            while entered < chunk.groups.count && chunk.groups[entered].entry == j {
                enter(chunk.groups[entered], block: j)
                active += chunk.groups[entered].cells.count * Bk * (T - chunk.groups[entered].position)
                entered += 1
            }
            defer { step() }
            if j == L { break }
            let groups = chunk.groups[..<entered]
            let n = active
            let w = model.weights.layers[j]
            norm(w.attnNorm, rows: n)
            w.q.withPointer { Matmul.linear(h.pointer, $0, q.pointer, m: n, n: H * Dh, k: D) }
            w.k.withPointer { Matmul.linear(h.pointer, $0, k.pointer, m: n, n: kv, k: D) }
            w.v.withPointer { Matmul.linear(h.pointer, $0, v.pointer, m: n, n: kv, k: D) }
            attend(block: j, groups: groups, tables: tables)
            w.o.withPointer { Matmul.linear(z.pointer, $0, out.pointer, m: n, n: D, k: H * Dh) }
            restore(.attnOut, block: j, groups: groups)
            add(rows: n)

            norm(w.ffnNorm, rows: n)
            w.gate.withPointer { Matmul.linear(h.pointer, $0, gate.pointer, m: n, n: F, k: D) }
            w.up.withPointer { Matmul.linear(h.pointer, $0, up.pointer, m: n, n: F, k: D) }
            let (g, u, y) = (gate.pointer, up.pointer, post.pointer)
            SwiGLU.forward(gate: g, up: u, y, count: n * F)
            w.down.withPointer { Matmul.linear(post.pointer, $0, out.pointer, m: n, n: D, k: F) }
            restore(.mlpOut, block: j, groups: groups)
            add(rows: n)
        }
        finish(positions: positions, into: output)
    }

    /// h = RMSNorm(x) · weight over the first `n` rows.
    private func norm(_ weight: [Float], rows n: Int) {
        let D = model.config.embeddingLength, eps = model.config.rmsNormEpsilon
        let (x, h) = (x.pointer, h.pointer)
        weight.withPointer { g in
            RMSNorm.forward(x, weight: g, eps: eps, h, rows: n, width: D, invRMS: nil)
        }
    }

    /// x += out over the first `n` rows.
    private func add(rows n: Int) {
        let D = model.config.embeddingLength
        let (x, out) = (x.pointer, out.pointer)
        Vector.add(out, into: x, count: n * D)
    }

    /// RoPE and attention of every entered group at block j.
    private func attend(block j: Int, groups: ArraySlice<RestorationPlan.Group>, tables: [Int: (cos: [Float], sin: [Float])]) {
        let c = model.config, H = c.headCount, Hkv = c.headCountKV, Dh = c.headDim, kv = Hkv * Dh
        let T = corrupted.positions, Bk = corrupted.batch
        let (q, k, v, z) = (q.pointer, k.pointer, v.pointer, z.pointer)
        corrupted.keys[j].withPointer { keptK in corrupted.values[j].withPointer { keptV in
            for g in groups {
                let rows = g.cells.count * Bk, tq = T - g.position, first = g.firstRow
                let (cos, sin) = tables[g.position]!
                model.rope.apply(q + first * H * Dh, batch: rows, positions: tq, heads: H, cos: cos, sin: sin)
                model.rope.apply(k + first * kv, batch: rows, positions: tq, heads: Hkv, cos: cos, sin: sin)
                let shape = SegmentShape(batch: rows, queries: tq, firstPosition: g.position, keptBatch: Bk, keptLength: T,
                                         heads: H, kvHeads: Hkv, headDim: Dh)
                SegmentAttention.forward(q: q + first * H * Dh, newK: k + first * kv, newV: v + first * kv,
                                         keptK: keptK, keptV: keptV, z + first * H * Dh, shape: shape)
            }
        } }
    }

    /// Fills a group's rows with the kept run's input of block `block` at positions ≥ the group's
    /// position, and restores the clean state there for `residPost` cells.
    private func enter(_ g: RestorationPlan.Group, block: Int) {
        let D = model.config.embeddingLength, T = corrupted.positions, Bk = corrupted.batch, tq = T - g.position
        corrupted.residual[block].withPointer { kept in
            for (ci, cell) in g.cells.enumerated() {
                for s in 0..<Bk {
                    let row = g.firstRow + (ci * Bk + s) * tq
                    (x.pointer + row * D).update(from: kept + (s * T + g.position) * D, count: tq * D)
                    if cell.restoration.site == .residPost {
                        let value = values[Restored(hook: .residPost(block - 1), position: g.position)]!
                        value.withPointer { (x.pointer + row * D).update(from: $0, count: D) }
                    }
                }
            }
        }
    }

    /// Puts the clean sublayer output into `out` at the restored position of every cell that
    /// restores `site` at this block.
    private func restore(_ site: Restoration.Site, block: Int, groups: ArraySlice<RestorationPlan.Group>) {
        let D = model.config.embeddingLength, T = corrupted.positions, Bk = corrupted.batch
        for g in groups {
            let tq = T - g.position
            for (ci, cell) in g.cells.enumerated() where cell.restoration.site == site && cell.restoration.layers.contains(block) {
                let value = values[Restored(hook: cell.restoration.hook(block), position: g.position)]!
                value.withPointer { clean in
                    for s in 0..<Bk { (out.pointer + (g.firstRow + (ci * Bk + s) * tq) * D).update(from: clean, count: D) }
                }
            }
        }
    }

    /// Final norm of each cell's rows at `positions` (a position before the restored one is the
    /// kept run's) into output [R, Bk, P, D].
    private func finish(positions: [Int], into output: UnsafeMutablePointer<Float>) {
        let c = model.config, D = c.embeddingLength, T = corrupted.positions, Bk = corrupted.batch, P = positions.count
        let L = model.layerCount
        model.weights.finalNorm.withPointer { g in corrupted.residual[L].withPointer { kept in
            for group in chunk.groups {
                let tq = T - group.position
                for (ci, cell) in group.cells.enumerated() {
                    for s in 0..<Bk {
                        for (pi, p) in positions.enumerated() {
                            let source = p >= group.position ? UnsafePointer(x.pointer + (group.firstRow + (ci * Bk + s) * tq + p - group.position) * D)
                                                             : kept + (s * T + p) * D
                            let destination = output + ((cell.index * Bk + s) * P + pi) * D
                            RMSNorm.forward(source, weight: g, eps: c.rmsNormEpsilon, destination, rows: 1, width: D, invRMS: nil)
                        }
                    }
                }
            }
        } }
    }
}
