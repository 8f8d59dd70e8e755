import Foundation
import LocateCore
import LocateModel
import Testing
import TestSupport

/// Properties of the tracer that must hold whatever the weights are.
@Suite("Tracer invariants", .realModel)
struct TracerInvariantTests {
    static let prompt = "The Eiffel Tower is located in the city of"

    /// Recording every hook changes nothing: a hook that copied or reordered values would shift the logits.
    @Test func recordingEverythingIsBitIdentical() throws {
        let model = try ModelFixture.model()
        let ids = try model.encode(Self.prompt)
        let plain = try model.run(tokens: [ids], RunOptions(logits: .all))
        let hooked = try model.run(tokens: [ids], RunOptions(record: .all, logits: .all))
        #expect(plain.logits == hooked.logits)
        #expect(hooked.cache.hooks.count == HookPoint.all(layers: model.layerCount).count)
        #expect(hooked.cache[.attnPattern(3)]?.shape == [1, model.config.headCount, ids.count, ids.count])
        #expect(hooked.cache[.attnK(3)]?.shape == [1, ids.count, model.config.headCountKV, model.config.headDim])
    }

    /// Patching every residual stream and MLP output of a run with that run's own cache changes
    /// nothing (a patch that read the wrong row, position or unit would).
    @Test func patchingOwnCacheChangesNothing() throws {
        let model = try ModelFixture.model()
        let ids = try model.encode(Self.prompt)
        let hooks: [HookPoint] = [.residPost(3), .mlpOut(10), .attnZ(7), .attnPattern(12), .mlpPost(20)]
        let clean = try model.run(tokens: [ids], RunOptions(record: .hooks(hooks)))
        let patched = try model.run(tokens: [ids], RunOptions(
            interventions: hooks.map { .patch($0, from: "clean") }, sources: ["clean": clean.cache]))
        #expect(patched.logits == clean.logits)
    }

    /// A run resumed at (layer, position) from a kept state equals the full run: the shortcut the
    /// locating methods rely on computes the same numbers.
    @Test(arguments: [(0, 0), (0, 5), (7, 0), (12, 4), (29, 9), (30, 3)])
    func resumedRunEqualsFullRun(layer: Int, position: Int) throws {
        let model = try ModelFixture.model()
        let ids = try model.encode(Self.prompt)
        let full = try model.run(tokens: [ids], RunOptions(record: .hooks([.residPost(29)]), logits: .all, keepState: true))
        let state = try #require(full.state)
        let resumed = try model.run(tokens: [ids], RunOptions(logits: .all, resume: Resume(state: state, layer: layer, position: position)))
        let a = try #require(full.logits), b = try #require(resumed.logits)
        let tail = Array(a.data[(position * model.config.vocabSize)...])
        #expect(maxAbsDifference(tail, b.data) < 1e-4)
        #expect(resumed.logitPositions == Array(position..<ids.count))
    }

    /// A restoration resumed from a corrupted run equals the same restoration run in full (the
    /// causal-tracing shortcut with an intervention in play).
    @Test func resumedRestorationEqualsFullRestoration() throws {
        let model = try ModelFixture.model()
        let ids = try model.encode(Self.prompt)
        let noise = Intervention.noise(.embed, std: 0.35, seed: 1, positions: .range(lower: 1, upper: 4))
        let clean = try model.run(tokens: [ids], RunOptions(record: .sites([.residPost])))
        let corrupted = try model.run(tokens: [ids], RunOptions(interventions: [noise], keepState: true))
        let restore = Intervention.patch(.residPost(8), from: "clean", positions: .at([3]))
        let full = try model.run(tokens: [ids], RunOptions(interventions: [noise, restore], sources: ["clean": clean.cache]))
        let resumed = try model.run(tokens: [ids], RunOptions(interventions: [restore], sources: ["clean": clean.cache],
                                                              resume: Resume(state: corrupted.state!, layer: 8, position: 3)))
        #expect(maxAbsDifference(full.logits!.data, resumed.logits!.data) < 1e-4)
        #expect(maxAbsDifference(full.logits!.data, clean.logits!.data) > 1e-3)   // the restoration did something
    }

    /// A batch of 11 identical rows gives each row the single-row logits.
    @Test func batchOfIdenticalRowsEqualsSingleRuns() throws {
        let model = try ModelFixture.model()
        let ids = try model.encode(Self.prompt)
        let single = try model.run(tokens: [ids], RunOptions(logits: .all))
        let batch = try model.run(tokens: Array(repeating: ids, count: 11), RunOptions(logits: .all))
        let n = ids.count * model.config.vocabSize
        for row in 0..<11 {
            #expect(maxAbsDifference(Array(batch.logits!.data[row * n ..< (row + 1) * n]), single.logits!.data) < 1e-4, "row \(row)")
        }
    }

    /// The same seed gives the same noise; another seed different noise; noise only where asked.
    @Test func noiseIsSeeded() throws {
        let model = try ModelFixture.model()
        let ids = try model.encode(Self.prompt)
        func run(_ seed: UInt64) throws -> Tensor {
            try model.run(tokens: [ids, ids], RunOptions(interventions: [.noise(.embed, std: 0.3, seed: seed, rows: .at([1]), positions: .at([2, 3]))],
                                                        record: .hooks([.embed]))).cache[.embed]!
        }
        let a = try run(7), b = try run(7), c = try run(8)
        #expect(a == b)
        #expect(a != c)
        let d = model.config.embeddingLength, t = ids.count
        #expect(Array(a.data[0 ..< t * d]) == Array(c.data[0 ..< t * d]))                 // row 0 untouched
        #expect(Array(a.data[t * d ..< t * d + 2 * d]) == Array(a.data[0 ..< 2 * d]))      // positions 0–1 of row 1 untouched
        #expect(Array(a.data[t * d + 2 * d ..< t * d + 4 * d]) != Array(a.data[2 * d ..< 4 * d]))
    }

    /// Zeroing, scaling and adding act on exactly the selected units and positions.
    @Test func editsTouchOnlyTheSelection() throws {
        let model = try ModelFixture.model()
        let ids = try model.encode(Self.prompt)
        let f = model.config.feedForwardLength
        let base = try model.run(tokens: [ids], RunOptions(record: .hooks([.mlpPost(4)]))).cache[.mlpPost(4)]!
        let edited = try model.run(tokens: [ids], RunOptions(interventions: [
            .zero(.mlpPost(4), positions: .last, units: .at([5, 9])),
            .scale(.mlpPost(4), by: 2, positions: .at([1]), units: .at([3])),
            .add(.mlpPost(4), Tensor(shape: [1], data: [0.5]), positions: .at([2]), units: .at([7])),
        ], record: .hooks([.mlpPost(4)]))).cache[.mlpPost(4)]!
        let last = ids.count - 1
        for p in 0..<ids.count { for u in 0..<f {
            let i = p * f + u
            let expected: Float
            if p == last && (u == 5 || u == 9) { expected = 0 }
            else if p == 1 && u == 3 { expected = base.data[i] * 2 }
            else if p == 2 && u == 7 { expected = base.data[i] + 0.5 }
            else { expected = base.data[i] }
            if edited.data[i] != expected { Issue.record("position \(p) unit \(u): \(edited.data[i]) ≠ \(expected)"); return }
        } }
    }

    /// Stopping after a hook returns its recording and no logits.
    @Test func stopAfterEndsEarly() throws {
        let model = try ModelFixture.model()
        let ids = try model.encode(Self.prompt)
        let r = try model.run(tokens: [ids], RunOptions(record: .hooks([.mlpPost(5), .mlpOut(5)]), stopAfter: .mlpPost(5)))
        #expect(r.logits == nil)
        #expect(r.cache[.mlpPost(5)] != nil)
        #expect(r.cache[.mlpOut(5)] == nil)
    }

    /// Interventions round-trip through their JSON form, which the CLI reads.
    @Test func interventionsRoundTripThroughJSON() throws {
        let list: [Intervention] = [
            .zero(.mlpPost(3), positions: .last, units: .at([1, 2])),
            .scale(.attnZ(2), by: 0.5, units: .heads([4])),
            .noise(.embed, std: 0.35, seed: 1, rows: .at([1]), positions: .range(lower: 0, upper: 2)),
            .patch(.residPost(6), from: "clean", positions: .at([3])),
            .add(.hookMlpOut5, Tensor(shape: [2], data: [1, -1]), units: .at([0, 1])),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(list)
        let back = try JSONDecoder().decode([Intervention].self, from: data)
        #expect(try encoder.encode(back) == data)
        let text = #"[{"hook": "blocks.5.mlp.hook_post", "positions": "last", "units": [3], "edit": {"scale": 2}}]"#
        let parsed = try JSONDecoder().decode([Intervention].self, from: Data(text.utf8))
        #expect(parsed[0].hook == .mlpPost(5))
        #expect(parsed[0].positions == .last)
    }
}

extension HookPoint { static var hookMlpOut5: HookPoint { .mlpOut(5) } }
