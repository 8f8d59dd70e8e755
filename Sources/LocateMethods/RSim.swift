import LocateCore

/// KLoB's relative similarity (ALGORITHMS.md §6.3–§6.4), from plain per-prompt, per-layer scores
/// so that it does not depend on the locating method (for causal tracing, e.g. a trace's row at
/// the last subject token).
///
/// For a number of layers k:
/// 1. a prompt's located layers S_k are the k layers with the highest scores (ties to the lower
///    layer, ``LayerSet/top(_:of:)``);
/// 2. `sim(A, B)` is ``LayerSimilarity/overlap`` |A ∩ B| / k (default) or Jaccard;
/// 3. `Sim_cand` of an item is the mean sim over its candidate pairs (``Item/pairs``);
/// 4. `Sim_all` is the mean sim between each of the item's prompts and each prompt of every
///    other item (``Reference/all``) or of a seeded sample of them (``Reference/sample(count:seed:)``);
/// 5. `RSim_item = max((Sim_cand − Sim_all) / (1 − Sim_all), 0)`; when Sim_all = 1 every other
///    item was located exactly where this one was, so locating tells them apart not at all:
///    RSim_item is defined as 0 (``relative(simCand:simAll:)``);
/// 6. RSim is the mean over items; ``curve(_:ks:)`` sweeps k = 1…L (the Study's Figure 8).
///
///     let items = zip(set.items, scores).map { RSim.Item(scores: $1, item: $0) }   // scores: [prompt][L]
///     let points = try RSim().curve(items)                                         // k = 1...L
///
/// Provenance: the formula is KLoB's (Ju et al. 2023) as quoted by its benchmark card; the
/// layer-overlap similarity is the Comprehensive Study's (arXiv 2401.01286 §5.2); the candidate
/// pairing and Sim_all are this project's documented choice (klob/README.md).
public struct RSim: Sendable {
    /// One item's located results: a score vector per prompt and the pairs that should agree.
    public struct Item: Sendable, Equatable {
        /// [prompts][L] scores, prompts in the item's order.
        public var scores: [[Double]]
        public var pairs: [CandidatePair]

        public init(scores: [[Double]], pairs: [CandidatePair]) {
            self.scores = scores
            self.pairs = pairs
        }

        /// The scores of a KLoB item's prompts (in ``KLoBItem/prompts(item:)`` order) with its
        /// ``KLoBItem/candidatePairs``.
        public init(scores: [[Double]], item: KLoBItem) {
            self.init(scores: scores, pairs: item.candidatePairs)
        }
    }

    /// What an item's candidates are compared with for Sim_all.
    public enum Reference: Sendable, Equatable {
        /// Every other item.
        case all
        /// `count` other items per item, drawn without replacement from one MT19937 stream seeded
        /// with `seed`, item by item (the same draws for every k).
        case sample(count: Int, seed: UInt64)
    }

    /// One item's Sim_cand, Sim_all and RSim_item.
    public struct ItemScore: Sendable, Equatable, Codable {
        public var simCand: Double
        public var simAll: Double
        public var rsim: Double
    }

    /// RSim at one k, with the means of Sim_cand and Sim_all and every item's values.
    public struct Score: Sendable, Equatable, Codable {
        public var k: Int
        public var rsim: Double
        public var simCand: Double
        public var simAll: Double
        public var items: [ItemScore]
    }

    /// How two located layer sets are compared.
    public var similarity: LayerSimilarity
    /// What Sim_all compares an item with.
    public var reference: Reference

    public init(similarity: LayerSimilarity = .overlap, reference: Reference = .all) {
        self.similarity = similarity
        self.reference = reference
    }

    /// `max((simCand − simAll) / (1 − simAll), 0)`, and 0 when simAll ≥ 1.
    public static func relative(simCand: Double, simAll: Double) -> Double {
        guard simAll < 1 else { return 0 }
        return max((simCand - simAll) / (1 - simAll), 0)
    }

    /// RSim with the top `k` layers.
    /// - Throws: ``KLoBMetricError`` for fewer than two items, an item without pairs or with a
    ///   pair out of range, score vectors of different lengths or with non-finite values, k
    ///   outside 1...L, a sample size below 1.
    public func score(_ items: [Item], k: Int) throws(KLoBMetricError) -> Score {
        let layers = try Self.validate(items, reference: reference)
        guard k >= 1 && k <= layers else { throw .kOutOfRange(k: k, layers: layers) }
        return score(sets: items.map { $0.scores.map { LayerSet.top(k, of: $0) } }, pairs: items.map(\.pairs), k: k)
    }

    /// RSim for each k of `ks` (default 1...L), in order.
    /// - Throws: as ``score(_:k:)``.
    public func curve(_ items: [Item], ks: ClosedRange<Int>? = nil) throws(KLoBMetricError) -> [Score] {
        let layers = try Self.validate(items, reference: reference)
        let range = ks ?? 1 ... layers
        for k in [range.lowerBound, range.upperBound] where k < 1 || k > layers { throw .kOutOfRange(k: k, layers: layers) }
        // rank each prompt's layers once; S_k is the first k of the ranking
        let rankings = items.map { $0.scores.map { s in s.indices.sorted { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 } } }
        return range.map { k in
            let sets = rankings.map { $0.map { LayerSet($0.prefix(k), layerCount: layers) } }
            return score(sets: sets, pairs: items.map(\.pairs), k: k)
        }
    }

    /// Scores from located layer sets ([item][prompt]), already validated.
    func score(sets: [[LayerSet]], pairs: [[CandidatePair]], k: Int) -> Score {
        let simAll: [Double]
        switch (reference, similarity) {
        case (.all, .overlap): simAll = Self.overlapSimAll(sets, k: k)
        case (.all, _): simAll = sets.indices.map { similarityToOthers(sets, item: $0, others: Array(sets.indices)) }
        case let (.sample(count, seed), _):
            let rng = RandomSource(seed: seed)
            simAll = sets.indices.map { i in
                let others = SeededSample.choose(count, from: sets.count - 1, using: rng).map { $0 >= i ? $0 + 1 : $0 }
                return similarityToOthers(sets, item: i, others: others)
            }
        }
        let items = sets.indices.map { i in
            let simCand = pairs[i].reduce(0.0) { $0 + similarity(sets[i][$1.a], sets[i][$1.b]) } / Double(pairs[i].count)
            return ItemScore(simCand: simCand, simAll: simAll[i], rsim: Self.relative(simCand: simCand, simAll: simAll[i]))
        }
        let n = Double(items.count)
        return Score(k: k, rsim: items.reduce(0) { $0 + $1.rsim } / n, simCand: items.reduce(0) { $0 + $1.simCand } / n,
                     simAll: items.reduce(0) { $0 + $1.simAll } / n, items: items)
    }

    /// Mean similarity between item `i`'s prompts and every prompt of the `others` items, one
    /// pair at a time: the reference for ``overlapSimAll(_:k:)`` and the path for Jaccard and
    /// samples.
    func similarityToOthers(_ sets: [[LayerSet]], item i: Int, others: [Int]) -> Double {
        var sum = 0.0, count = 0
        for a in sets[i] {
            for j in others where j != i {
                for b in sets[j] {
                    sum += similarity(a, b)
                    count += 1
                }
            }
        }
        return count == 0 ? 0 : sum / Double(count)
    }

    /// Sim_all of every item against all others for the overlap similarity, in O(items · L)
    /// instead of O(items²): Σ over an item's prompt sets A and other prompts' sets B of |A ∩ B|
    /// is Σ over layers l of (prompts of the item with l) · (prompts of other items with l), and
    /// every set has k layers.
    static func overlapSimAll(_ sets: [[LayerSet]], k: Int) -> [Double] {
        guard let layers = sets.first?.first?.layerCount else { return [] }
        var total = [Int](repeating: 0, count: layers)
        var prompts = 0
        let counts = sets.map { item in
            var own = [Int](repeating: 0, count: layers)
            for set in item { for l in set.layers { own[l] += 1 } }
            return own
        }
        for (item, own) in zip(sets, counts) {
            prompts += item.count
            for l in 0 ..< layers { total[l] += own[l] }
        }
        return zip(sets, counts).map { item, own in
            var shared = 0
            for l in 0 ..< layers { shared += own[l] * (total[l] - own[l]) }
            let pairs = item.count * (prompts - item.count)
            return pairs == 0 ? 0 : Double(shared) / Double(k * pairs)
        }
    }

    /// Checks the items and returns L.
    static func validate(_ items: [Item], reference: Reference) throws(KLoBMetricError) -> Int {
        guard items.count >= 2 else { throw .tooFewItems(items.count) }
        if case .sample(let count, _) = reference, count < 1 { throw .invalidSampleSize(count) }
        let layers = items[0].scores.first?.count ?? 0
        for (i, item) in items.enumerated() {
            guard !item.pairs.isEmpty else { throw .noPairs(item: i) }
            for pair in item.pairs where pair.a == pair.b || !item.scores.indices.contains(pair.a) || !item.scores.indices.contains(pair.b) {
                throw .invalidPair(item: i, pair: pair, prompts: item.scores.count)
            }
            for (p, scores) in item.scores.enumerated() {
                guard !scores.isEmpty else { throw .noLayers(item: i, prompt: p) }
                guard scores.count == layers else { throw .layerCountMismatch(item: i, prompt: p, expected: layers, found: scores.count) }
                if let l = scores.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteScore(item: i, prompt: p, layer: l) }
            }
        }
        return layers
    }
}
