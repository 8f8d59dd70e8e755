/// A set of layer indices 0..<L, stored as a bit set so that intersections are a few `popcount`s
/// (RSim compares every prompt's layers with every other item's).
public struct LayerSet: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Bit l of word l / 64 is set when layer l is in the set.
    public private(set) var words: [UInt64]
    /// L, the number of layers the indices range over.
    public let layerCount: Int

    /// The set of the given layers.
    /// - Precondition: every layer is in 0..<layerCount.
    public init(_ layers: some Sequence<Int>, layerCount: Int) {
        self.layerCount = layerCount
        words = Array(repeating: 0, count: (layerCount + 63) / 64)
        for l in layers {
            precondition(l >= 0 && l < layerCount, "layer \(l) is outside 0..<\(layerCount)")
            words[l >> 6] |= 1 << UInt64(l & 63)
        }
    }

    /// The `k` layers with the highest scores; ties go to the lower layer index, so the result is
    /// deterministic (`[0.2, 0.5, 0.5, 0.1]`, k = 1 → {1}; k = 2 → {1, 2}; k = 3 → {0, 1, 2}).
    /// - Precondition: 0 ≤ k ≤ scores.count; the scores are finite (``RSim`` checks both).
    public static func top(_ k: Int, of scores: [Double]) -> LayerSet {
        precondition(k >= 0 && k <= scores.count, "k = \(k) is outside 0...\(scores.count)")
        let ranked = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return LayerSet(ranked.prefix(k), layerCount: scores.count)
    }

    /// The layers, ascending.
    public var layers: [Int] {
        (0 ..< layerCount).filter { words[$0 >> 6] & (1 << UInt64($0 & 63)) != 0 }
    }

    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    public func contains(_ layer: Int) -> Bool {
        layer >= 0 && layer < layerCount && words[layer >> 6] & (1 << UInt64(layer & 63)) != 0
    }

    /// |self ∩ other|.
    public func intersectionCount(_ other: LayerSet) -> Int {
        var n = 0
        for i in 0 ..< min(words.count, other.words.count) { n += (words[i] & other.words[i]).nonzeroBitCount }
        return n
    }

    /// |self ∪ other|.
    public func unionCount(_ other: LayerSet) -> Int {
        count + other.count - intersectionCount(other)
    }

    public var description: String { "{" + layers.map(String.init).joined(separator: ", ") + "}" }
}

/// How alike two prompts' located layers are (ALGORITHMS.md §6.4 step 3).
public enum LayerSimilarity: String, CaseIterable, Codable, Sendable {
    /// |A ∩ B| / k, the share of the top-k layers both prompts have (the Comprehensive Study's
    /// "overlap between the identified layers"); computed as |A ∩ B| / max(|A|, |B|), which is
    /// the same for two top-k sets.
    case overlap
    /// |A ∩ B| / |A ∪ B|.
    case jaccard

    /// The similarity of two layer sets, in [0, 1]; two empty sets count as identical (1).
    public func callAsFunction(_ a: LayerSet, _ b: LayerSet) -> Double {
        let shared = a.intersectionCount(b)
        let denominator: Int
        switch self {
        case .overlap: denominator = max(a.count, b.count)
        case .jaccard: denominator = a.count + b.count - shared
        }
        return denominator == 0 ? 1 : Double(shared) / Double(denominator)
    }
}
