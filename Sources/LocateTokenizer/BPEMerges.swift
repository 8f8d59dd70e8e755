/// The merge rules of a BPE vocabulary, keyed by the ids of the two parts.
///
/// A rule's rank is its position in the merge list: lower ranks were learned earlier and are
/// applied first. Only the first occurrence of a duplicated pair counts.
struct MergeTable: Sendable {
    /// (left id << 32 | right id) → (rank << 32 | result id).
    private var rules: [UInt64: UInt64] = [:]

    var count: Int { rules.count }

    init() {}

    /// Adds a rule unless the pair already has a (lower) rank.
    mutating func add(left: Int, right: Int, result: Int, rank: Int) {
        let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
        if rules[key] == nil {
            rules[key] = UInt64(UInt32(rank)) << 32 | UInt64(UInt32(result))
        }
    }

    /// The rank and result of merging `left` and `right`, or nil if no rule joins them.
    @inline(__always)
    func rule(_ left: Int32, _ right: Int32) -> (rank: UInt32, result: Int32)? {
        let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        guard let value = rules[key] else { return nil }
        return (UInt32(truncatingIfNeeded: value >> 32), Int32(truncatingIfNeeded: value & 0xFFFF_FFFF))
    }

    /// Splits a GGUF / legacy `tokenizer.json` merge string `"a b"` into its two parts.
    ///
    /// The separator is the first U+0020 after the first scalar, as in llama.cpp, so a part may
    /// itself be a literal space. Byte-level tokens never contain U+0020 (it is written `Ġ`).
    static func parse(_ merge: String, rank: Int) throws(TokenizerError) -> (String, String) {
        // A U+0020 byte is always a whole scalar in UTF-8, so searching bytes from offset 1 finds
        // the first space after the first scalar.
        let utf8 = merge.utf8
        guard utf8.count >= 3, let space = utf8.dropFirst().firstIndex(of: 0x20),
              utf8.index(after: space) != utf8.endIndex
        else { throw .malformedMerge(rank: rank, merge: merge) }
        return (String(decoding: utf8[..<space], as: UTF8.self),
                String(decoding: utf8[utf8.index(after: space)...], as: UTF8.self))
    }
}

/// The tokens of one pre-tokenized word: ids and the byte range each covers, relative to the word.
struct WordTokens: Sendable {
    var ids: [Int32]
    var starts: [Int32]
    var ends: [Int32]
    /// Whether some byte of the word had no token and was left out.
    var droppedBytes = false
}

extension MergeTable {
    /// Applies the merge rules to a word given as one symbol per byte.
    ///
    /// Repeatedly merges the adjacent pair with the lowest rank, the leftmost one on ties (the
    /// semantics of HF `tokenizers` `Word::merge_all` and llama.cpp `llm_tokenizer_bpe`). The
    /// symbols form a linked list; candidate pairs sit in a binary min-heap keyed by
    /// (rank, position of the left symbol) and are re-validated when popped (lazy deletion).
    func merge(_ word: inout WordTokens) {
        let n = word.ids.count
        guard n > 1 else { return }
        var ids = word.ids
        var ends = word.ends
        var next = [Int32](unsafeUninitializedCapacity: n) { buffer, initialized in
            for i in 0..<n { buffer[i] = Int32(i + 1) }
            initialized = n
        }
        next[n - 1] = -1
        var prev = [Int32](unsafeUninitializedCapacity: n) { buffer, initialized in
            for i in 0..<n { buffer[i] = Int32(i - 1) }
            initialized = n
        }
        var heap = MinHeap()
        for i in 0..<(n - 1) {
            if let r = rule(ids[i], ids[i + 1]) { heap.push(rank: r.rank, position: Int32(i)) }
        }
        while let top = heap.pop() {
            let left = Int(top.position)
            let rightIndex = next[left]
            // Stale entry: the left symbol was absorbed, or its neighbour changed since the push.
            guard ids[left] >= 0, rightIndex >= 0 else { continue }
            let right = Int(rightIndex)
            guard let r = rule(ids[left], ids[right]), r.rank == top.rank else { continue }
            ids[left] = r.result
            ends[left] = ends[right]
            ids[right] = -1
            let after = next[right]
            next[left] = after
            if after >= 0 { prev[Int(after)] = Int32(left) }
            let before = prev[left]
            if before >= 0, let p = rule(ids[Int(before)], ids[left]) {
                heap.push(rank: p.rank, position: before)
            }
            if after >= 0, let p = rule(ids[left], ids[Int(after)]) {
                heap.push(rank: p.rank, position: Int32(left))
            }
        }
        var merged = WordTokens(ids: [], starts: [], ends: [], droppedBytes: word.droppedBytes)
        var i: Int32 = 0
        while i >= 0 {
            merged.ids.append(ids[Int(i)])
            merged.starts.append(word.starts[Int(i)])
            merged.ends.append(ends[Int(i)])
            i = next[Int(i)]
        }
        word = merged
    }
}

/// A binary min-heap of merge candidates packed as (rank << 32 | position), so comparing two
/// keys orders by rank first and by position (leftmost first) on ties.
struct MinHeap {
    private var keys: [UInt64] = []

    mutating func push(rank: UInt32, position: Int32) {
        keys.append(UInt64(rank) << 32 | UInt64(UInt32(position)))
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard keys[child] < keys[parent] else { break }
            keys.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (rank: UInt32, position: Int32)? {
        guard let top = keys.first else { return nil }
        let last = keys.removeLast()
        if !keys.isEmpty {
            keys[0] = last
            var parent = 0
            let count = keys.count
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                var smallest = left
                if left + 1 < count && keys[left + 1] < keys[left] { smallest = left + 1 }
                guard keys[smallest] < keys[parent] else { break }
                keys.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return (UInt32(top >> 32), Int32(truncatingIfNeeded: top & 0xFFFF_FFFF))
    }
}
