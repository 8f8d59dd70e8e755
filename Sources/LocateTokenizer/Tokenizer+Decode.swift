extension Tokenizer {
    /// The UTF-8 of U+FFFD, emitted for ids outside the vocabulary.
    static let replacementBytes: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// The bytes of a token sequence: byte-level tokens through the byte table, special tokens as
    /// their literal text (left out when `skipSpecialTokens`), ids outside the vocabulary as U+FFFD.
    public func decodeBytes(_ ids: [Int], skipSpecialTokens: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids { appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &bytes) }
        return bytes
    }

    /// Decodes ids to text. Invalid UTF-8 (only possible when the ids do not come from
    /// ``encode(_:parseSpecial:)`` of one text, e.g. a sequence cut mid-character) becomes U+FFFD,
    /// one per maximal invalid subsequence, as Rust's `from_utf8_lossy` and Python's `errors="replace"` do.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    /// The text of one token on its own (lossy: a token holding part of a multi-byte character
    /// decodes to U+FFFD), e.g. for display next to a heatmap row.
    public func decodePiece(_ id: Int) -> String {
        decode([id])
    }

    /// Each token decoded on its own, as Hugging Face `[tok.decode([i]) for i in ids]`.
    public func decodePieces(_ ids: [Int]) -> [String] {
        ids.map(decodePiece)
    }

    func appendBytes(of id: Int, skipSpecialTokens: Bool, to bytes: inout [UInt8]) {
        guard tokenBytes.indices.contains(id) else {
            bytes.append(contentsOf: Self.replacementBytes)
            return
        }
        if skipSpecialTokens && tokenTypes[id].isSpecial { return }
        bytes.append(contentsOf: tokenBytes[id])
    }
}
