import LocateCore

/// Seeded sampling of indices on GSL's MT19937 stream (``RandomSource``): the same seed gives the
/// same choice on every machine. Used by the KLoB builders (`--limit`, paraphrase choice) and by
/// ``RSim`` (a sample of the other items).
enum SeededSample {
    /// A uniform integer in 0...upper.
    static func integer(through upper: Int, using rng: RandomSource) -> Int {
        min(upper, Int(rng.uniform() * Double(upper + 1)))
    }

    /// `k` distinct indices of 0..<n, ascending (all of them when k ≥ n). Floyd's algorithm: k
    /// draws, whatever n is.
    static func choose(_ k: Int, from n: Int, using rng: RandomSource) -> [Int] {
        guard k < n else { return Array(0 ..< max(0, n)) }
        guard k > 0 else { return [] }
        var chosen = Set<Int>(minimumCapacity: k)
        for j in (n - k) ..< n {
            let t = integer(through: j, using: rng)
            chosen.insert(chosen.contains(t) ? j : t)
        }
        return chosen.sorted()
    }

    /// A permutation of 0..<n (Fisher–Yates from the back).
    static func permutation(_ n: Int, seed: UInt64) -> [Int] {
        let rng = RandomSource(seed: seed)
        var order = Array(0 ..< n)
        for i in stride(from: n - 1, to: 0, by: -1) {
            order.swapAt(i, integer(through: i, using: rng))
        }
        return order
    }
}
