import Foundation
import LocateCore

extension Transformer {
    /// Final normalized states [R, Bk, P, D] of every row of a kept run under each of R
    /// re-entries, at `positions`.
    ///
    /// For one re-entry this equals a run resumed from `kept` at (block, position) with `.patch`
    /// interventions from `values` (``Reentry/interventions(source:rows:)``), but nothing is
    /// computed twice and nothing is computed that a re-entry cannot change: it recomputes only
    /// positions ≥ its position of blocks ≥ its block, and reads the kept run's keys and values
    /// for earlier positions in place. Re-entries run as a staircase: groups of equal (block,
    /// position) in order of block, so at block j every group that entered at or below j is one
    /// matrix product per weight. The work is shared out over `workers` staircases running at
    /// once, each with its share of every group.
    ///
    /// - Parameters:
    ///   - values: one row's activations holding every replaced hook at its position.
    ///   - maxRows: rows (one per computed position of a kept row) of one staircase; bounds memory
    ///     at about 31 KB per row.
    ///   - progress: (blocks done, blocks in all) over every staircase.
    ///
    /// Legend: Bk kept rows, T positions, D width, P scored positions, N rows active at a block.
    public func reenteredFinalStates(kept: RunState, values: ActivationCache, reentries: [Reentry],
                                     positions: [Int], maxRows: Int = 6144, compute: Compute = .current,
                                     progress: (Int, Int) -> Void = { _, _ in }) throws(ModelError) -> [Float] {
        let L = layerCount, D = config.embeddingLength, T = kept.positions, Bk = kept.batch
        guard kept.keys.count == L, kept.residual.count == L + 1 else { throw .keptStateMissing }
        for p in positions where p < 0 || p >= T { throw .positionOutOfRange(hook: "final normalized state", position: p, positions: T) }
        var put: [PutBack: [Float]] = [:]            // [D] per replaced (hook, position)
        for r in reentries {
            try r.validate(layers: L, length: T)
            for hook in r.replaced where put[PutBack(hook: hook, position: r.position)] == nil {
                guard let entry = values.entry(hook), let i = entry.positions.firstIndex(of: r.position),
                      entry.tensor.count >= (i + 1) * D else {
                    throw .missingReentryValue(hook: hook.description, position: r.position)
                }
                put[PutBack(hook: hook, position: r.position)] = Array(entry.tensor.data[(i * D)..<((i + 1) * D)])
            }
        }
        let P = positions.count
        var output = [Float](repeating: 0, count: reentries.count * Bk * P * D)
        let parts = max(1, min(compute.threads, reentries.count))
        let plans = (0..<parts).map { part in
            ReentryPlan.chunks(reentries, part: part, of: parts, keptRows: Bk, length: T, maxRows: max(1, maxRows / parts))
        }
        let total = plans.joined().reduce(0) { $0 + L + 1 - $1.groups[0].block }
        var done = 0
        let lock = NSLock()
        output.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            compute.workers(parts) { part in
                for chunk in plans[part] {
                    let pass = ReentryPass(model: self, kept: kept, values: put, chunk: chunk)
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

/// A value put back: the hook and the position.
struct PutBack: Hashable {
    let hook: HookPoint
    let position: Int
}

/// Re-entries in staircase order, cut into chunks of bounded rows.
struct ReentryPlan {
    /// Re-entries of equal block and position; rows are re-entry-major, then kept row, then position.
    struct Group {
        let block: Int
        let position: Int
        var members: [(index: Int, reentry: Reentry)]
    }
    struct Chunk {
        var groups: [Group]
        var rows: Int
    }

    /// The staircases of one part: in staircase order, every `parts`-th re-entry from the
    /// `part`-th on (counted across groups, so groups of one are shared out too).
    static func chunks(_ reentries: [Reentry], part: Int = 0, of parts: Int = 1, keptRows: Int, length: Int, maxRows: Int) -> [Chunk] {
        let all = Dictionary(grouping: reentries.enumerated().map { (index: $0.offset, reentry: $0.element) }) {
            [$0.reentry.block, $0.reentry.position]
        }
        var counted = 0
        var shares: [(key: [Int], members: [(index: Int, reentry: Reentry)])] = []
        for key in all.keys.sorted(by: { ($0[0], $0[1]) < ($1[0], $1[1]) }) {
            let members = all[key]!.sorted { $0.index < $1.index }
            let mine = members.indices.filter { (counted + $0) % parts == part }.map { members[$0] }
            counted += members.count
            if !mine.isEmpty { shares.append((key, mine)) }
        }
        var chunks: [Chunk] = []
        var current = Chunk(groups: [], rows: 0)
        for (key, list) in shares {
            let rowsEach = keptRows * (length - key[1])
            var members = list[...]
            while !members.isEmpty {
                if current.rows > 0 && current.rows + rowsEach > maxRows {
                    chunks.append(current); current = Chunk(groups: [], rows: 0)
                }
                let room = max(1, (maxRows - current.rows) / rowsEach)
                let taken = members.prefix(room)
                members = members.dropFirst(taken.count)
                current.groups.append(Group(block: key[0], position: key[1], members: Array(taken)))
                current.rows += taken.count * rowsEach
            }
        }
        if current.rows > 0 { chunks.append(current) }
        return chunks
    }
}
