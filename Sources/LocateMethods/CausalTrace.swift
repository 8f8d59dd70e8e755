import LocateCore
import LocateModel

/// ROME's causal tracing (Meng et al. 2022), computed without a full forward pass per cell.
///
/// The subject's input embeddings are corrupted with Gaussian noise in `samples` rows; for every
/// (token t, layer l) the clean value of one state is restored and the probability of the answer
/// is measured: the hidden state after block l (kind `hidden`), or the MLP or attention outputs of
/// a window of layers centred on l (kinds `mlp`, `attn`). A cell's score is the mean over the
/// corrupted rows of p(answer).
///
/// Only what a restoration can change is computed: a run for cell (l, t) resumes from the kept
/// corrupted run at the cell's first layer and at position t, and cells that share a resume point
/// (across kinds) run as one batch, so every weight is one matrix product per group. Cells at
/// tokens before the subject are not run: nothing before the subject is corrupted, so restoring
/// there changes nothing and their score is the corrupted score exactly.
public struct CausalTrace: Sendable {
    public enum Kind: String, CaseIterable, Codable, Sendable { case hidden, mlp, attn }

    /// The noise added to the subject embeddings: [samples, subject tokens, D] values, row-major.
    public struct Noise: Sendable {
        public let values: [Double]
        public let samples: Int
        public let level: Double
        public init(values: [Double], samples: Int, level: Double) {
            self.values = values; self.samples = samples; self.level = level
        }

        /// ROME's noise: `level · RandomState(seed).randn(samples, n, D)` (numpy's legacy stream).
        public static func rome(level: Double, samples: Int, subjectTokens n: Int, width d: Int, seed: UInt32 = 1) -> Noise {
            let draws = NumpyRandomState(seed: seed).randn(samples * n * d)
            return Noise(values: draws.map { $0 * level }, samples: samples, level: level)
        }
    }

    public struct Case: Sendable {
        public let tokens: [Int]            // the prompt's tokens [T]
        public let subject: Range<Int>      // subject token range in the prompt
        public let answer: [Int]            // scored tokens: answer[0] follows the prompt; more by teacher forcing
        public init(tokens: [Int], subject: Range<Int>, answer: [Int]) {
            self.tokens = tokens; self.subject = subject; self.answer = answer
        }
    }

    public struct Result: Sendable, Codable {
        public let kind: Kind
        public let scores: [[Float]]        // [T][L]
        public let lowScore: Float
        public let highScore: Float
        public let window: Int
    }

    public let model: Transformer
    public let window: Int
    /// Upper bound on rows × positions of one batched run (memory: about 40 KB per row-position).
    public var maxRowsPerRun = 4096

    public init(model: Transformer, window: Int = 10) {
        self.model = model; self.window = window
    }

    /// Layers restored for the cell at layer l: ROME's `range(max(0, l − w/2), min(L, l − (−w/2)))`.
    public func windowLayers(_ l: Int, kind: Kind) -> Range<Int> {
        guard kind != .hidden else { return l..<(l + 1) }
        let lower = max(0, l - window / 2), upper = min(model.layerCount, l + (window + 1) / 2)
        return lower..<upper
    }

    /// Traces one case for the given kinds. `progress` is called with (groups done, groups total).
    /// With `positions`, only the cells at those token positions are traced (the rest of the
    /// matrix holds the low score), e.g. the last subject token for a per-layer profile.
    public func run(_ c: Case, noise: Noise, kinds: [Kind] = Kind.allCases, positions: Set<Int>? = nil,
                    progress: (Int, Int) -> Void = { _, _ in }) throws -> [Result] {
        let L = model.layerCount, D = model.config.embeddingLength, S = noise.samples
        guard !c.subject.isEmpty, c.subject.upperBound <= c.tokens.count else {
            throw ModelError.invalidArgument("the subject's token range \(c.subject) is outside the prompt's \(c.tokens.count) tokens")
        }
        guard !c.answer.isEmpty else { throw ModelError.invalidArgument("the answer has no tokens") }
        guard noise.values.count == S * c.subject.count * D else {
            throw ModelError.interventionShape(hook: "hook_embed (noise)", expected: "[\(S), \(c.subject.count), \(D)]", got: [noise.values.count])
        }
        let input = c.tokens + c.answer.dropLast()
        let T = c.tokens.count
        let scored = Array((T - 1)..<(T - 1 + c.answer.count))   // positions whose next token is an answer token

        // Clean run: the values to restore.
        let sites: [HookPoint.Site] = [.residPost, .mlpOut, .attnOut]
        let clean = try model.run(tokens: [input], RunOptions(record: .sites(sites), logits: .at(scored)))
        let high = Self.score(clean, rows: 0..<1, positions: scored, answer: c.answer)

        let (base, low) = try corruptedRun(c, noise: noise, keepState: true)
        guard let state = base.state else { throw ModelError.invalidArgument("the corrupted run kept no state") }

        // Cells grouped by the first layer they change; within a group, cells of every position
        // run together from the group's earliest position (rows of a later position recompute a
        // few positions that equal the corrupted run), so each weight is one large matrix product.
        struct Cell { let kind: Kind; let layer: Int; let position: Int }
        var groups: [Int: [Cell]] = [:]
        for kind in kinds {
            for t in c.subject.lowerBound..<T where positions?.contains(t) ?? true {
                for l in 0..<L {
                    let start = kind == .hidden ? l + 1 : windowLayers(l, kind: kind).lowerBound
                    groups[start, default: []].append(Cell(kind: kind, layer: l, position: t))
                }
            }
        }
        var chunks: [(start: Int, cells: [Cell])] = []
        for start in groups.keys.sorted() {
            let byPosition = Dictionary(grouping: groups[start]!, by: \.position)
            let positions = byPosition.keys.sorted()
            for range in Self.chunkPositions(positions.map { byPosition[$0]!.count * S }, positions: positions,
                                             length: input.count, maxRows: maxRowsPerRun) {
                chunks.append((start, range.flatMap { byPosition[positions[$0]]! }))
            }
        }
        var scores: [Kind: [[Float]]] = [:]
        for kind in kinds { scores[kind] = Array(repeating: Array(repeating: low, count: L), count: T) }
        let sources = ["clean": clean.cache]
        var finalRows: [Float] = []                       // [cells · S · scored, D]
        var owners: [(Kind, Int, Int)] = []               // (kind, position, layer) per cell
        for (done, chunk) in chunks.enumerated() {
            let cells = chunk.cells
            let position = cells.map(\.position).min()!
            var interventions: [Intervention] = []
            for (i, cell) in cells.enumerated() {
                let cellRows = Intervention.Selection.at(Array(i * S ..< (i + 1) * S))
                switch cell.kind {
                case .hidden:
                    interventions.append(.patch(.residPost(cell.layer), from: "clean", rows: cellRows, positions: .at([cell.position])))
                case .mlp, .attn:
                    for j in windowLayers(cell.layer, kind: cell.kind) {
                        let hook: HookPoint = cell.kind == .mlp ? .mlpOut(j) : .attnOut(j)
                        interventions.append(.patch(hook, from: "clean", rows: cellRows, positions: .at([cell.position])))
                    }
                }
            }
            let batch = Array(repeating: input, count: S * cells.count)
            let run = try model.run(tokens: batch, RunOptions(interventions: interventions, record: .hooks([.finalNormalized]),
                                                              sources: sources, logits: .none,
                                                              resume: Resume(state: state, layer: chunk.start, position: position)))
            // Keep each row's final normalized vectors at the scored positions; the unembedding runs
            // once for every cell at the end, as one large matrix product.
            let h = run.cache.entry(.finalNormalized)!
            let tq = h.positions.count
            for (i, cell) in cells.enumerated() {
                for r in (i * S)..<((i + 1) * S) {
                    for p in scored {
                        let pi = h.positions.firstIndex(of: p)!
                        finalRows.append(contentsOf: h.tensor.data[((r * tq) + pi) * D ..< ((r * tq) + pi + 1) * D])
                    }
                }
                owners.append((cell.kind, cell.position, cell.layer))
            }
            progress(done + 1, chunks.count)
        }
        let probabilities = unembeddedScores(finalRows, rowsPerCell: S, positionsPerRow: scored.count, answer: c.answer)
        for (i, owner) in owners.enumerated() { scores[owner.0]![owner.1][owner.2] = probabilities[i] }
        return kinds.map { Result(kind: $0, scores: scores[$0]!, lowScore: low, highScore: high, window: window) }
    }

    /// The corrupted run: ROME adds float64 noise to the float32 subject embeddings and rounds
    /// once. Returns the run and the corrupted score.
    func corruptedRun(_ c: Case, noise: Noise, keepState: Bool) throws -> (RunResult, Float) {
        let S = noise.samples, D = model.config.embeddingLength
        guard noise.values.count == S * c.subject.count * D else {
            throw ModelError.interventionShape(hook: "hook_embed (noise)", expected: "[\(S), \(c.subject.count), \(D)]", got: [noise.values.count])
        }
        let input = c.tokens + c.answer.dropLast()
        let scored = Array((c.tokens.count - 1)..<(c.tokens.count - 1 + c.answer.count))
        var corrupted = [Float](repeating: 0, count: S * c.subject.count * D)
        let embedding = model.weights.embedding
        for s in 0..<S { for (j, t) in c.subject.enumerated() { for d in 0..<D {
            let i = (s * c.subject.count + j) * D + d
            corrupted[i] = Float(Double(embedding[input[t] * D + d]) + noise.values[i])
        } } }
        let corruption = Intervention.replace(.embed, with: Tensor(shape: [S, c.subject.count, D], data: corrupted),
                                              positions: .range(lower: c.subject.lowerBound, upper: c.subject.upperBound))
        let run = try model.run(tokens: Array(repeating: input, count: S),
                                RunOptions(interventions: [corruption], logits: .at(scored), keepState: keepState))
        return (run, Self.score(run, rows: 0..<S, positions: scored, answer: c.answer))
    }

    /// p(answer) averaged over the corrupted rows, without restoring anything (ROME's low score).
    public func corruptedScore(_ c: Case, noise: Noise) throws -> Float {
        try corruptedRun(c, noise: noise, keepState: false).1
    }

    /// Splits sorted positions into contiguous runs. A run starting at position p computes
    /// rows × (length − p) row-positions M; a matrix product of M rows runs at about M / (M + 64)
    /// of peak on two threads (OpenBLAS SkylakeX, SWIFTPROBE.md §3), and every run packs each
    /// weight once, so the split minimizes Σ (M + 64 + 48): few large products, little
    /// recomputation of positions before a cell's own.
    static func chunkPositions(_ rows: [Int], positions: [Int], length: Int, maxRows: Int) -> [[Int]] {
        let n = positions.count
        func cost(_ i: Int, _ j: Int) -> Double? {   // positions i...j in one run
            let m = Double(rows[i...j].reduce(0, +) * (length - positions[i]))
            if m > Double(maxRows) && j > i { return nil }
            // efficiency M/(M+64) with two threads; +48 row-positions per run for packing the
            // weights and starting the threads
            return m + 64 + 48
        }
        var best = [Double](repeating: .infinity, count: n + 1), cut = [Int](repeating: 0, count: n + 1)
        best[0] = 0
        for j in 1...max(n, 1) where n > 0 {
            for i in 0..<j {
                guard let c = cost(i, j - 1), best[i] + c < best[j] else { continue }
                best[j] = best[i] + c; cut[j] = i
            }
        }
        var ranges: [[Int]] = []
        var j = n
        while j > 0 { ranges.insert(Array(cut[j]..<j), at: 0); j = cut[j] }
        return ranges
    }

    /// Cell scores from final normalized rows [cells · S · P, D]: logits in blocks of rows through
    /// one unembedding product each, then the mean over a cell's S rows of Π_k p(answer_k).
    func unembeddedScores(_ rows: [Float], rowsPerCell S: Int, positionsPerRow P: Int, answer: [Int]) -> [Float] {
        let D = model.config.embeddingLength, V = model.config.vocabSize
        let total = rows.count / D
        let block = 1024
        var logProbability = [Double](repeating: 0, count: total / P)   // per row: Σ_k log p(answer_k)
        var logits = [Float](repeating: 0, count: block * V)
        var start = 0
        while start < total {
            let m = min(block, total - start)
            rows.withUnsafeBufferPointer { x in model.weights.output.withUnsafeBufferPointer { w in logits.withUnsafeMutableBufferPointer { y in
                Matmul.linear(x.baseAddress! + start * D, w.baseAddress!, y.baseAddress!, m: m, n: V, k: D)
                for i in 0..<m {
                    let row = y.baseAddress! + i * V
                    let k = (start + i) % P
                    logProbability[(start + i) / P] += Double(row[answer[k]] - Softmax.logSumExp(row, count: V))
                }
            } } }
            start += m
        }
        let cells = total / (P * S)
        return (0..<cells).map { c in
            Float((0..<S).reduce(0.0) { $0 + Foundation.exp(logProbability[c * S + $1]) } / Double(S))
        }
    }

    /// Mean over rows of Π_k p(answer_k) at the scored positions.
    static func score(_ run: RunResult, rows: Range<Int>, positions: [Int], answer: [Int]) -> Float {
        var total = 0.0
        for r in rows {
            var logp = 0.0
            for (k, p) in positions.enumerated() { logp += Double(run.logProbability(of: answer[k], row: r, position: p)!) }
            total += Foundation.exp(logp)
        }
        return Float(total / Double(rows.count))
    }
}

import Foundation
