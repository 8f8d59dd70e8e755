/// A vocabulary entry with a score: a logit, a change of logit or a probability, depending on
/// where it comes from.
public struct TokenScore: Sendable, Codable, Equatable {
    /// The token id, 0…V-1.
    public let id: Int
    /// The score the token was ranked by.
    public let score: Float

    public init(id: Int, score: Float) {
        self.id = id; self.score = score
    }
}

/// Top-k selection over one row of scores, with a sorting oracle beside it for tests.
public enum TopTokens {
    /// The `k` largest values of `scale · x[i]` over `i` in 0..<n, largest first, with the scaled
    /// value as the score. Ties go to the smaller id; NaN values are never selected.
    ///
    /// A negative `scale` ranks by the smallest raw values (the tokens a negative coefficient
    /// promotes). One pass, keeping a sorted list of at most k entries: O(n + k·hits).
    ///
    /// - Parameters:
    ///   - x: the scores [n] (e.g. one row of E·v, [V]).
    ///   - n: how many scores.
    ///   - k: how many to keep (clamped to n).
    ///   - scale: multiplies every score before ranking.
    /// - Returns: at most `k` tokens, best first.
    public static func largest(_ x: UnsafePointer<Float>, count n: Int, k: Int, scale: Float = 1) -> [TokenScore] {
        let k = min(k, n)
        guard k > 0 else { return [] }
        var best: [TokenScore] = []
        best.reserveCapacity(k + 1)
        var threshold = -Float.infinity   // the k-th best so far, once k are held
        for i in 0..<n {
            let v = scale * x[i]
            guard v == v else { continue }   // NaN
            if best.count == k && !(v > threshold) { continue }
            // insert after every entry that is ≥ v (earlier ids win ties: they were seen first)
            var at = best.count
            while at > 0 && best[at - 1].score < v { at -= 1 }
            best.insert(TokenScore(id: i, score: v), at: at)
            if best.count > k { best.removeLast() }
            if best.count == k { threshold = best[k - 1].score }
        }
        return best
    }

    /// The same selection by sorting every index: the oracle for ``largest(_:count:k:scale:)``.
    public static func largestNaive(_ x: [Float], k: Int, scale: Float = 1) -> [TokenScore] {
        let scored = x.indices.map { TokenScore(id: $0, score: scale * x[$0]) }.filter { $0.score == $0.score }
        let sorted = scored.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        return Array(sorted.prefix(max(0, k)))
    }
}
