import Foundation
import LocateCore
@testable import LocateModel
import Testing
import TestSupport

/// The staircase pass of restorations against resumed runs with patch interventions, one
/// restoration at a time, on a tiny random llama.
@Suite("Re-entry staircase pass")
struct ReentryPassTests {
    static let tokens = TinyModel.tokens(count: 7, seed: 21)
    static let rows = 3          // corrupted rows (noise samples)
    static let subject = 1..<3   // corrupted positions

    struct Fixture {
        let model: Transformer
        let clean: RunResult
        let corrupted: RunResult
        var state: RunState { corrupted.state! }
    }

    static func fixture(layers: Int = 4) throws -> Fixture {
        let model = TinyModel.make(seed: 17, layers: layers)
        let D = model.config.embeddingLength
        let clean = try model.run(tokens: [tokens], RunOptions(record: .sites([.residPost, .attnOut, .mlpOut])))
        let noise = RandomSource(seed: 5).gaussians(count: rows * subject.count * D, std: 0.8)
        var embedded = [Float]()
        for _ in 0..<rows { for p in subject { embedded += model.weights.embedding[(tokens[p] * D)..<((tokens[p] + 1) * D)] } }
        let corruption = Intervention.replace(.embed, with: Tensor(shape: [rows, subject.count, D], data: zip(embedded, noise).map { $0 + $1 }),
                                              positions: .range(lower: subject.lowerBound, upper: subject.upperBound))
        let corrupted = try model.run(tokens: Array(repeating: tokens, count: rows),
                                      RunOptions(interventions: [corruption], record: .hooks([.finalNormalized]), keepState: true))
        return Fixture(model: model, clean: clean, corrupted: corrupted)
    }

    /// ROME's cell as a re-entry: a site restored over a window of blocks at one position.
    static func cell(_ site: HookPoint.Site, _ layers: Range<Int>, _ position: Int) -> Reentry {
        Reentry(block: site == .residPost ? layers.lowerBound + 1 : layers.lowerBound, position: position,
                replaced: layers.map { HookPoint(site: site, layer: $0) })
    }

    /// Every kind of restoration: states after blocks 0…L−1 (the last one feeds only the final
    /// norm), sublayer windows at either edge and inside, at the first, middle and last positions.
    static func restorations(layers L: Int, length T: Int) -> [Reentry] {
        var list: [Reentry] = []
        for t in [0, 2, 4, T - 1] {
            for l in 0..<L { list.append(Self.cell(.residPost, l..<(l + 1), t)) }
            list.append(Self.cell(.attnOut, 0..<2, t))
            list.append(Self.cell(.mlpOut, 1..<L, t))
            list.append(Self.cell(.attnOut, (L - 1)..<L, t))
            list.append(Self.cell(.mlpOut, 0..<1, t))
        }
        return list
    }

    /// Each restoration's final states at positions 5 and 6 equal a resumed run that patches the
    /// clean values in through hooks; a position before the restored one keeps the corrupted
    /// run's state. Small `maxRows` (groups split across staircases) gives the same numbers.
    @Test(arguments: [4096, 20])
    func matchesResumedRunsWithPatches(maxRows: Int) throws {
        let f = try Self.fixture()
        let L = f.model.layerCount, D = f.model.config.embeddingLength, T = Self.tokens.count, S = Self.rows
        let positions = [5, T - 1]
        let restorations = Self.restorations(layers: L, length: T)
        let ours = try f.model.reenteredFinalStates(kept: f.state, values: f.clean.cache, reentries: restorations,
                                                   positions: positions, maxRows: maxRows)
        #expect(ours.count == restorations.count * S * positions.count * D)
        let corruptedFinal = try #require(f.corrupted.cache[.finalNormalized])   // [S, T, D]
        for (i, r) in restorations.enumerated() {
            let run = try f.model.run(tokens: Array(repeating: Self.tokens, count: S), RunOptions(
                interventions: r.interventions(source: "clean", rows: .all), record: .hooks([.finalNormalized]),
                sources: ["clean": f.clean.cache], logits: .none,
                resume: Resume(state: f.state, layer: min(r.block, L), position: r.position)))
            let h = try #require(run.cache.entry(.finalNormalized))
            for s in 0..<S {
                for (k, p) in positions.enumerated() {
                    let mine = Array(ours[(((i * S + s) * positions.count + k) * D)..<(((i * S + s) * positions.count + k + 1) * D)])
                    let expected: [Float]
                    if p >= r.position {
                        let pi = try #require(h.positions.firstIndex(of: p))
                        expected = Array(h.tensor.data[((s * h.positions.count + pi) * D)..<((s * h.positions.count + pi + 1) * D)])
                    } else {
                        expected = Array(corruptedFinal.data[((s * T + p) * D)..<((s * T + p + 1) * D)])
                    }
                    #expect(maxAbsDifference(mine, expected) < 2e-5, "\(r) row \(s) position \(p)")
                }
            }
        }
    }

    /// Restoring values from the corrupted run's own activations changes nothing.
    @Test func restoringTheRunsOwnValuesChangesNothing() throws {
        let f = try Self.fixture(layers: 3)
        let model = f.model, D = model.config.embeddingLength, T = Self.tokens.count, S = Self.rows, L = model.layerCount
        // one corrupted row as its own source (rows of the kept run are identical here)
        let single = try model.run(tokens: [Self.tokens], RunOptions(record: Recording(hooks: [.finalNormalized], sites: [.residPost, .attnOut, .mlpOut]),
                                                                     keepState: true))
        let tiled = RunState(tokens: Array(repeating: Self.tokens, count: S),
                             keys: single.state!.keys.map { Array(Array(repeating: $0, count: S).joined()) },
                             values: single.state!.values.map { Array(Array(repeating: $0, count: S).joined()) },
                             residual: single.state!.residual.map { Array(Array(repeating: $0, count: S).joined()) })
        let restorations = Self.restorations(layers: L, length: T)
        let ours = try model.reenteredFinalStates(kept: tiled, values: single.cache, reentries: restorations, positions: [T - 1])
        let final = try #require(single.cache[.finalNormalized])
        let expected = Array(final.data[((T - 1) * D)..<(T * D)])
        for i in 0..<(restorations.count * S) {
            #expect(maxAbsDifference(Array(ours[(i * D)..<((i + 1) * D)]), expected) < 1e-5)
        }
    }

    @Test func badRestorationsAreErrors() throws {
        let f = try Self.fixture(layers: 2)
        let T = Self.tokens.count
        #expect(throws: ModelError.self) {
            try f.model.reenteredFinalStates(kept: f.state, values: f.clean.cache,
                                            reentries: [Self.cell(.mlpOut, 1..<3, 2)], positions: [T - 1])
        }
        #expect(throws: ModelError.self) {
            try f.model.reenteredFinalStates(kept: f.state, values: f.clean.cache,
                                            reentries: [Self.cell(.residPost, 0..<1, T)], positions: [T - 1])
        }
        #expect(throws: ModelError.self) {
            try f.model.reenteredFinalStates(kept: f.state, values: f.clean.cache,
                                            reentries: [Self.cell(.residPost, 0..<1, 1)], positions: [T])
        }
        #expect(throws: ModelError.self) {   // a state put back that is not the first block's input
            try f.model.reenteredFinalStates(kept: f.state, values: f.clean.cache,
                                             reentries: [Reentry(block: 1, position: 2, replaced: [.residPost(1)])], positions: [T - 1])
        }
        #expect(throws: ModelError.self) {   // the clean activations lack the restored hook
            try f.model.reenteredFinalStates(kept: f.state, values: ActivationCache(),
                                            reentries: [Self.cell(.attnOut, 0..<1, 1)], positions: [T - 1])
        }
    }
}
