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
/// Only what a restoration can change is computed: cell (l, t) recomputes positions ≥ t of the
/// blocks from its first changed block on, reading the corrupted run's keys and values before t,
/// and all cells of every kind run as one staircase of re-entries (``Transformer/reenteredFinalStates(kept:values:reentries:positions:maxRows:compute:progress:)``),
/// so every weight is one large matrix product per block. Cells at tokens before the subject are
/// not run: nothing before the subject is corrupted, so restoring there changes nothing and their
/// score is the corrupted score exactly.
public struct CausalTrace: Sendable {
    public enum Kind: String, CaseIterable, Codable, Sendable {
        case hidden, mlp, attn
        /// The restored site.
        public var site: Restoration.Site {
            switch self {
            case .hidden: .residPost
            case .mlp: .mlpOut
            case .attn: .attnOut
            }
        }
    }

    /// How restored runs are computed: the staircase pass (fast), or resumed runs with patch
    /// interventions at hook points (the reference; slower).
    public enum Engine: Sendable { case staircase, hooks }

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
    /// Upper bound on rows × positions of one staircase (memory: about 31 KB per row-position).
    public var maxRowsPerRun = 6144

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
                    engine: Engine = .staircase, progress: (Int, Int) -> Void = { _, _ in }) throws -> [Result] {
        let L = model.layerCount, D = model.config.embeddingLength, S = noise.samples
        guard !c.subject.isEmpty, c.subject.upperBound <= c.tokens.count else {
            throw LocatingError.subjectOutsidePrompt(subject: c.subject, tokens: c.tokens.count)
        }
        guard !c.answer.isEmpty else { throw LocatingError.emptyAnswer }
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
        guard let state = base.state else { throw ModelError.keptStateMissing }

        var cells: [(kind: Kind, layer: Int, position: Int)] = []
        for kind in kinds {
            for t in c.subject.lowerBound..<T where positions?.contains(t) ?? true {
                for l in 0..<L { cells.append((kind, l, t)) }
            }
        }
        let restorations = cells.map { cell in
            Restoration(site: cell.kind.site, layers: windowLayers(cell.layer, kind: cell.kind), position: cell.position)
        }
        let finalRows: [Float]                            // [cells · S · scored, D]
        switch engine {
        case .staircase:
            finalRows = try model.reenteredFinalStates(kept: state, values: clean.cache, reentries: restorations.map(\.reentry),
                                                       positions: scored, maxRows: maxRowsPerRun, progress: progress)
        case .hooks:
            finalRows = try finalStatesWithHooks(restorations, input: input, state: state, clean: clean.cache,
                                                 samples: S, scored: scored, progress: progress)
        }
        var scores: [Kind: [[Float]]] = [:]
        for kind in kinds { scores[kind] = Array(repeating: Array(repeating: low, count: L), count: T) }
        let probabilities = unembeddedScores(finalRows, rowsPerCell: S, positionsPerRow: scored.count, answer: c.answer)
        for (i, cell) in cells.enumerated() { scores[cell.kind]![cell.position][cell.layer] = probabilities[i] }
        return kinds.map { Result(kind: $0, scores: scores[$0]!, lowScore: low, highScore: high, window: window) }
    }

    /// The reference engine: one resumed run per group of restorations sharing an entry block,
    /// restoring through `.patch` interventions at hook points. Returns the final normalized
    /// states [R, S, P, D] like ``Transformer/reenteredFinalStates(kept:values:reentries:positions:maxRows:compute:progress:)``.
    func finalStatesWithHooks(_ restorations: [Restoration], input: [Int], state: RunState, clean: ActivationCache,
                              samples S: Int, scored: [Int], progress: (Int, Int) -> Void) throws -> [Float] {
        let D = model.config.embeddingLength, P = scored.count
        var output = [Float](repeating: 0, count: restorations.count * S * P * D)
        let groups = Dictionary(grouping: restorations.indices) { restorations[$0].entryBlock }
        for (done, entry) in groups.keys.sorted().enumerated() {
            let members = groups[entry]!
            let position = members.map { restorations[$0].position }.min()!
            var interventions: [Intervention] = []
            for (i, r) in members.enumerated() {
                interventions += restorations[r].reentry.interventions(source: "clean", rows: .at(Array(i * S ..< (i + 1) * S)))
            }
            let run = try model.run(tokens: Array(repeating: input, count: S * members.count),
                                    RunOptions(interventions: interventions, record: .hooks([.finalNormalized]), sources: ["clean": clean],
                                               logits: .none, resume: Resume(state: state, layer: min(entry, model.layerCount), position: position)))
            let h = run.cache.entry(.finalNormalized)!
            let tq = h.positions.count
            for (i, r) in members.enumerated() {
                for s in 0..<S {
                    for (k, p) in scored.enumerated() {
                        let pi = h.positions.firstIndex(of: p)!
                        let source = ((i * S + s) * tq + pi) * D
                        let destination = ((r * S + s) * P + k) * D
                        output.replaceSubrange(destination..<(destination + D), with: h.tensor.data[source..<(source + D)])
                    }
                }
            }
            progress(done + 1, groups.count)
        }
        return output
    }

    /// Floating-point operations of the matrix products that any exact float32 computation of
    /// the cells must do: a lower bound on the work, which the staircase exceeds by a few percent.
    ///
    /// Per cell at position t, for each of its S rows: the positions from t on of every block
    /// the restoration changes, less what cannot matter or equals the corrupted run's: the
    /// projections of unchanged inputs (in the first block reached, only position t's input
    /// differs), a restored sublayer's own output at t
    /// (its MLP in an mlp window; its query and output projections in an attn window), the first
    /// block of an mlp window (nothing there changes but the restored output), the first block of
    /// an attn window but for position t's MLP, and in the last block everything but keys and
    /// values at positions that are not scored. Plus the unembedding of the scored positions.
    /// The clean and corrupted runs are not counted.
    public func matrixWork(_ c: Case, samples S: Int, kinds: [Kind] = Kind.allCases) -> Double {
        let m = model.config, L = model.layerCount
        let D = Double(m.embeddingLength), F = Double(m.feedForwardLength), V = Double(m.vocabSize)
        let q = Double(m.headCount * m.headDim), kv = Double(m.headCountKV * m.headDim)
        let keysValues = 2 * D * 2 * kv, query = 2 * D * q, output = 2 * q * D, mlp = 3 * 2 * D * F
        let length = c.tokens.count + c.answer.count - 1, P = Double(c.answer.count)
        var flops = 0.0
        for kind in kinds {
            for t in c.subject.lowerBound..<c.tokens.count {
                let n = Double(length - t)                            // positions recomputed
                for l in 0..<L {
                    let window = windowLayers(l, kind: kind)
                    var cell = 0.0
                    for j in window.lowerBound..<L {
                        if kind == .hidden && j <= l { continue }
                        if kind == .mlp && j == window.lowerBound { continue }
                        if kind == .attn && j == window.lowerBound { cell += mlp; continue }
                        let last = j == L - 1
                        // the first block with a changed input: only position t's input differs,
                        // so only its query, keys and values are new
                        let first = j == (kind == .hidden ? l + 1 : window.lowerBound + 1)
                        var block = first ? keysValues + query + (last ? P : n) * (output + mlp)
                                          : n * keysValues + (last ? P : n) * (query + output + mlp)
                        let tScored = t >= c.tokens.count - 1
                        if window.contains(j) && kind == .mlp && (!last || tScored) { block -= mlp }
                        if window.contains(j) && kind == .attn && (!last || tScored) { block -= query + output }
                        cell += block
                    }
                    flops += Double(S) * (cell + P * 2 * D * V)
                }
            }
        }
        return flops
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

    /// Cell scores from final normalized rows [cells · S · P, D]: log p(answer_k) of every row
    /// through the model's output path, then the mean over a cell's S rows of Π_k p(answer_k).
    func unembeddedScores(_ rows: [Float], rowsPerCell S: Int, positionsPerRow P: Int, answer: [Int]) -> [Float] {
        let logP = model.logProbabilities(ofNormalizedStates: rows) { answer[$0 % P] }
        let cells = logP.count / (P * S)
        return (0..<cells).map { c in   // mean over the cell's rows of Π_k p(answer_k)
            Float((0..<S).reduce(0.0) { sum, s in
                sum + Foundation.exp((0..<P).reduce(0.0) { $0 + Double(logP[(c * S + s) * P + $1]) })
            } / Double(S))
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
