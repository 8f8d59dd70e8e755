import Foundation
import LocateCore
import Testing
@testable import LocateMethods

/// A score vector of `layers` values peaked at the given layers (1 there, 0 elsewhere).
private func peaked(_ layers: Set<Int>, of count: Int) -> [Double] {
    (0 ..< count).map { layers.contains($0) ? 1 : 0 }
}

/// An item with one prompt per layer set and every pair of prompts as candidates (klob-c style).
private func item(_ sets: [Set<Int>], layers: Int) -> RSim.Item {
    let n = sets.count
    return RSim.Item(scores: sets.map { peaked($0, of: layers) },
                     pairs: (0 ..< n).flatMap { i in (i + 1 ..< n).map { CandidatePair(i, $0) } })
}

@Suite("Layer sets and similarity")
struct LayerSetTests {
    /// The top-k layers are the highest scores; ties go to the lower layer index, whatever the
    /// order of the input, and negative scores rank normally.
    @Test func topKTieBreaking() {
        let scores = [0.2, 0.5, 0.5, 0.1]
        #expect(LayerSet.top(1, of: scores).layers == [1])
        #expect(LayerSet.top(2, of: scores).layers == [1, 2])
        #expect(LayerSet.top(3, of: scores).layers == [0, 1, 2])
        #expect(LayerSet.top(4, of: scores).layers == [0, 1, 2, 3])
        #expect(LayerSet.top(2, of: [1, 1, 1, 1]).layers == [0, 1])
        #expect(LayerSet.top(2, of: [-3, -1, -2, -1]).layers == [1, 3])
        #expect(LayerSet.top(0, of: scores).count == 0)
    }

    /// A set spanning more than one 64-bit word keeps its members and counts.
    @Test func largeLayerCounts() {
        let a = LayerSet([0, 63, 64, 129], layerCount: 130)
        let b = LayerSet([63, 64, 65], layerCount: 130)
        #expect(a.layers == [0, 63, 64, 129])
        #expect(a.count == 4)
        #expect(a.intersectionCount(b) == 2)
        #expect(a.unionCount(b) == 5)
        #expect(a.contains(129) && !a.contains(128) && !a.contains(130))
    }

    /// The worked example of klob/README.md: A = {0, 1, 2}, B = {1, 2, 3} share 2 of k = 3
    /// layers (overlap 2/3) and 2 of the 4 in their union (Jaccard 1/2).
    @Test func overlapAndJaccard() {
        let a = LayerSet([0, 1, 2], layerCount: 6), b = LayerSet([1, 2, 3], layerCount: 6)
        #expect(LayerSimilarity.overlap(a, b) == 2.0 / 3.0)
        #expect(LayerSimilarity.jaccard(a, b) == 0.5)
        #expect(LayerSimilarity.overlap(a, a) == 1 && LayerSimilarity.jaccard(a, a) == 1)
        let c = LayerSet([4, 5, 0], layerCount: 6)
        #expect(LayerSimilarity.overlap(b, c) == 0 && LayerSimilarity.jaccard(b, c) == 0)
    }
}

@Suite("RSim")
struct RSimTests {
    /// The formula, its clipping of negative values at 0, and the value 0 when Sim_all = 1.
    @Test func relativeFormula() {
        #expect(RSim.relative(simCand: 0.75, simAll: 0.5) == 0.5)
        #expect(RSim.relative(simCand: 1, simAll: 0.3) == 1)
        #expect(RSim.relative(simCand: 0.2, simAll: 0.5) == 0)
        #expect(RSim.relative(simCand: 1, simAll: 1) == 0)
        #expect(RSim.relative(simCand: 0.4, simAll: 0.4) == 0)
    }

    /// Items whose candidates are located identically, and differently from other items, have
    /// RSim 1 at every k below L; at k = L every prompt has all layers, Sim_all = 1, and RSim is 0
    /// by definition.
    @Test func identicalCandidatesScoreOne() throws {
        let L = 6
        let items = (0 ..< 3).map { i in item([[2 * i, 2 * i + 1], [2 * i, 2 * i + 1], [2 * i, 2 * i + 1]], layers: L) }
        let k2 = try RSim().score(items, k: 2)
        #expect(k2.rsim == 1)
        #expect(k2.items.allSatisfy { $0.simCand == 1 && $0.simAll == 0 })
        let full = try RSim().score(items, k: L)
        #expect(full.simAll == 1 && full.rsim == 0)
    }

    /// Candidates exactly as alike as unrelated items give 0; less alike than unrelated items
    /// give a negative raw value, clipped to 0.
    @Test func candidatesNoMoreAlikeThanOthersScoreZero() throws {
        let L = 4
        // item 0: {0,1} vs {0,2} → Sim_cand 1/2; every other prompt is {0,3}, which shares one of
        // two layers with each of item 0's prompts → Sim_all 1/2 → RSim 0 exactly.
        let items = [item([[0, 1], [0, 2]], layers: L), item([[0, 3], [0, 3]], layers: L), item([[0, 3], [0, 3]], layers: L)]
        let score = try RSim().score(items, k: 2)
        #expect(score.items[0].simCand == 0.5)
        #expect(score.items[0].simAll == 0.5)
        #expect(score.items[0].rsim == 0)
        // item 1: Sim_cand 1; against item 0 four pairs at 1/2, against item 2 four pairs at 1, so
        // Sim_all = 6/8 = 0.75 and RSim = (1 − 0.75)/(1 − 0.75) = 1; the mean is (0 + 1 + 1)/3
        #expect(score.items[1].simAll == 0.75)
        #expect(score.items[1].rsim == 1)
        #expect(abs(score.rsim - 2.0 / 3.0) < 1e-12)

        // clipping: paraphrases at different layers, while other items' prompts hit both layers
        let clipped = [item([[0], [1]], layers: 2), item([[0], [1]], layers: 2)]
        let c = try RSim().score(clipped, k: 1)
        #expect(c.items.allSatisfy { $0.simCand == 0 && $0.simAll == 0.5 && $0.rsim == 0 })
    }

    /// A worked example with a fractional answer, under both similarities (klob/README.md):
    /// item 0 = {0,1,2} vs {1,2,3}; item 1 = {3,4,5} twice.
    @Test func jaccardVersusOverlap() throws {
        let items = [item([[0, 1, 2], [1, 2, 3]], layers: 6), item([[3, 4, 5], [3, 4, 5]], layers: 6)]
        let overlap = try RSim(similarity: .overlap).score(items, k: 3)
        // Sim_cand 2/3; Sim_all: {0,1,2}·{3,4,5} = 0 twice, {1,2,3}·{3,4,5} = 1/3 twice → 1/6
        #expect(abs(overlap.items[0].simCand - 2.0 / 3.0) < 1e-12)
        #expect(abs(overlap.items[0].simAll - 1.0 / 6.0) < 1e-12)
        #expect(abs(overlap.items[0].rsim - (2.0 / 3.0 - 1.0 / 6.0) / (5.0 / 6.0)) < 1e-12)   // 0.6
        let jaccard = try RSim(similarity: .jaccard).score(items, k: 3)
        // Sim_cand 2/4; Sim_all: {1,2,3}·{3,4,5} = 1/5 twice → 1/10; RSim = (0.5 − 0.1)/0.9 = 4/9
        #expect(abs(jaccard.items[0].simCand - 0.5) < 1e-12)
        #expect(abs(jaccard.items[0].simAll - 0.1) < 1e-12)
        #expect(abs(jaccard.items[0].rsim - 4.0 / 9.0) < 1e-12)
    }

    /// The sweep gives one point per k = 1…L, each equal to a single-k score, and ends at 0.
    @Test func kSweep() throws {
        let rng = RandomSource(seed: 7)
        let L = 8
        let items = (0 ..< 5).map { _ in
            RSim.Item(scores: (0 ..< 3).map { _ in (0 ..< L).map { _ in rng.uniform() } }, pairs: [CandidatePair(0, 1), CandidatePair(0, 2), CandidatePair(1, 2)])
        }
        let curve = try RSim().curve(items)
        #expect(curve.map(\.k) == Array(1 ... L))
        for point in curve { #expect(try point == RSim().score(items, k: point.k)) }
        #expect(curve.last!.rsim == 0 && curve.last!.simAll == 1)
        #expect(try RSim().curve(items, ks: 2 ... 3).map(\.k) == [2, 3])
        #expect(throws: KLoBMetricError.kOutOfRange(k: 9, layers: 8)) { try RSim().curve(items, ks: 1 ... 9) }
    }

    /// The O(items · L) overlap path agrees with the pairwise reference on random data, and a
    /// sample at least as large as the other items is the same as all of them.
    @Test func fastOverlapMatchesPairwise() throws {
        let rng = RandomSource(seed: 11)
        let L = 12
        let sets = (0 ..< 20).map { i in
            (0 ..< (i % 3 + 2)).map { _ in LayerSet.top(4, of: (0 ..< L).map { _ in rng.uniform() }) }
        }
        let fast = RSim.overlapSimAll(sets, k: 4)
        let rsim = RSim(similarity: .overlap)
        for i in sets.indices {
            #expect(abs(fast[i] - rsim.similarityToOthers(sets, item: i, others: Array(sets.indices))) < 1e-12)
        }
        let items = sets.indices.map { i in
            RSim.Item(scores: (0 ..< sets[i].count).map { _ in (0 ..< L).map { _ in rng.uniform() } }, pairs: [CandidatePair(0, 1)])
        }
        let all = try RSim().score(items, k: 4)
        let everyOther = try RSim(reference: .sample(count: 19, seed: 3)).score(items, k: 4)
        for (a, b) in zip(all.items, everyOther.items) { #expect(abs(a.simAll - b.simAll) < 1e-12) }
    }

    /// A sample of other items is seeded: the same seed gives the same scores, another seed
    /// other samples.
    @Test func sampledReferenceIsDeterministic() throws {
        let rng = RandomSource(seed: 5)
        let items = (0 ..< 30).map { _ in
            RSim.Item(scores: (0 ..< 2).map { _ in (0 ..< 10).map { _ in rng.uniform() } }, pairs: [CandidatePair(0, 1)])
        }
        let a = try RSim(reference: .sample(count: 3, seed: 1)).score(items, k: 3)
        let b = try RSim(reference: .sample(count: 3, seed: 1)).score(items, k: 3)
        let c = try RSim(reference: .sample(count: 3, seed: 2)).score(items, k: 3)
        #expect(a == b)
        #expect(a.items.map(\.simAll) != c.items.map(\.simAll))
        #expect(SeededSample.choose(3, from: 10, using: RandomSource(seed: 4)).count == 3)
        #expect(Set(SeededSample.choose(3, from: 10, using: RandomSource(seed: 4))).isSubset(of: Set(0 ..< 10)))
    }

    /// A KLoB item's candidate pairs drive Sim_cand: klob-c all paraphrase pairs, klob-r each
    /// single prompt with the chain prompt.
    @Test func candidatePairsFromItems() throws {
        let fact = KLoBFact(subject: "France", relation: "capital_(P36)", object: "Paris")
        let c = KLoBItem.paraphrases(KLoBParaphraseItem(prompts: ["a France _", "b France _", "c France _"], knowledge: fact))
        #expect(c.candidatePairs == [CandidatePair(0, 1), CandidatePair(0, 2), CandidatePair(1, 2)])
        let chain = KLoBChain(subject: "x", relation1: "r1", object1: "y", relation2: "r2", object2: "z")
        let r = KLoBItem.chain(KLoBChainItem(singleKnowledge: chain.first, chain: chain, singlePrompts: ["x 1 _", "x 2 _"], chainPrompt: "x 3 _"))
        #expect(r.candidatePairs == [CandidatePair(0, 2), CandidatePair(1, 2)])
        // the chain prompt agrees with both singles, the singles disagree with each other: with
        // klob-r pairs Sim_cand is 1, where all pairs would give 1/3
        let scores = [peaked([0], of: 3), peaked([0], of: 3), peaked([0], of: 3)]
        var other = RSim.Item(scores: [peaked([1], of: 3), peaked([1], of: 3), peaked([2], of: 3)], item: r)
        let s = try RSim().score([RSim.Item(scores: scores, item: r), other], k: 1)
        #expect(s.items[0].simCand == 1)
        #expect(s.items[1].simCand == 0)
        other.pairs = []
        #expect(throws: KLoBMetricError.noPairs(item: 1)) { try RSim().score([RSim.Item(scores: scores, item: r), other], k: 1) }
    }

    /// Inputs that cannot give a score are refused with the item and prompt named.
    @Test func invalidInputs() {
        let good = item([[0], [1]], layers: 3)
        #expect(throws: KLoBMetricError.tooFewItems(1)) { try RSim().score([good], k: 1) }
        #expect(throws: KLoBMetricError.kOutOfRange(k: 0, layers: 3)) { try RSim().score([good, good], k: 0) }
        #expect(throws: KLoBMetricError.kOutOfRange(k: 4, layers: 3)) { try RSim().score([good, good], k: 4) }
        let short = RSim.Item(scores: [[1, 0, 0], [1, 0]], pairs: [CandidatePair(0, 1)])
        #expect(throws: KLoBMetricError.layerCountMismatch(item: 1, prompt: 1, expected: 3, found: 2)) { try RSim().score([good, short], k: 1) }
        let nan = RSim.Item(scores: [[1, 0, 0], [1, .nan, 0]], pairs: [CandidatePair(0, 1)])
        #expect(throws: KLoBMetricError.nonFiniteScore(item: 1, prompt: 1, layer: 1)) { try RSim().score([good, nan], k: 1) }
        let badPair = RSim.Item(scores: [[1, 0, 0], [1, 0, 0]], pairs: [CandidatePair(0, 2)])
        #expect(throws: KLoBMetricError.invalidPair(item: 1, pair: CandidatePair(0, 2), prompts: 2)) { try RSim().score([good, badPair], k: 1) }
        let samePrompt = RSim.Item(scores: [[1, 0, 0], [1, 0, 0]], pairs: [CandidatePair(1, 1)])
        #expect(throws: KLoBMetricError.invalidPair(item: 0, pair: CandidatePair(1, 1), prompts: 2)) { try RSim().score([samePrompt, good], k: 1) }
        let empty = RSim.Item(scores: [[], []], pairs: [CandidatePair(0, 1)])
        #expect(throws: KLoBMetricError.noLayers(item: 0, prompt: 0)) { try RSim().score([empty, good], k: 1) }
        #expect(throws: KLoBMetricError.invalidSampleSize(0)) { try RSim(reference: .sample(count: 0, seed: 1)).score([good, good], k: 1) }
        #expect(KLoBMetricError.nonFiniteScore(item: 1, prompt: 1, layer: 1).description.contains("item 1, prompt 1, layer 1"))
    }
}

@Suite("RSD")
struct RSDTests {
    /// The population standard deviation (numpy's default), on a textbook example.
    @Test func standardDeviation() {
        #expect(RSD.standardDeviation([2, 4, 4, 4, 5, 5, 7, 9]) == 2)
        #expect(RSD.standardDeviation([3]) == 0)
        #expect(RSD.standardDeviation([]) == 0)
    }

    /// Factual prompts' SDs 1 and 1; non-factual 0 and 0.5 → RSD = 1 − 0.25 / 1 = 0.75. Scores as
    /// peaked on random words as on facts give 0; more peaked ones are clipped to 0; flat factual
    /// scores give 0 by definition.
    @Test func examples() throws {
        let r = try RSD.score(factual: [[0, 2], [1, 3]], nonFactual: [[1, 1], [0, 1]])
        #expect(r.sdFactual == 1 && r.sdNonFactual == 0.25 && r.rsd == 0.75)
        #expect(r.factualPrompts == 2 && r.nonFactualPrompts == 2)
        #expect(try RSD.score(factual: [[0, 2]], nonFactual: [[5, 7]]).rsd == 0)
        #expect(try RSD.score(factual: [[0, 2]], nonFactual: [[0, 4]]).rsd == 0)
        #expect(try RSD.score(factual: [[1, 1]], nonFactual: [[0, 4]]).rsd == 0)
        #expect(try RSD.score(factual: [[0, 4]], nonFactual: [[3, 3]]).rsd == 1)
    }

    @Test func invalidInputs() {
        #expect(throws: KLoBMetricError.emptyPromptSet("factual")) { try RSD.score(factual: [], nonFactual: [[1, 2]]) }
        #expect(throws: KLoBMetricError.emptyPromptSet("non-factual")) { try RSD.score(factual: [[1, 2]], nonFactual: []) }
        #expect(throws: KLoBMetricError.invalidPromptScores(set: "non-factual", prompt: 1, reason: "the score at layer 0 is not finite")) {
            try RSD.score(factual: [[1, 2]], nonFactual: [[1, 2], [.infinity, 2]])
        }
        #expect(throws: KLoBMetricError.invalidPromptScores(set: "non-factual", prompt: 0, reason: "3 layer scores, but the first factual prompt has 2")) {
            try RSD.score(factual: [[1, 2]], nonFactual: [[1, 2, 3]])
        }
        #expect(throws: KLoBMetricError.invalidPromptScores(set: "factual", prompt: 0, reason: "the score vector is empty")) {
            try RSD.score(factual: [[]], nonFactual: [[1, 2]])
        }
    }
}
