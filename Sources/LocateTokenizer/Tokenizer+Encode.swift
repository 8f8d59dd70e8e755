extension Tokenizer {
    /// Encodes text to token ids with the byte range of each token.
    ///
    /// No BOS is added (see ``addBOS``). The empty string gives an empty ``Encoding``. Bytes that
    /// have no token in the vocabulary (``bytesWithoutToken``) are dropped, as the reference
    /// tokenizers do, and reported in ``Encoding/droppedByteOffsets``.
    /// - Parameter parseSpecial: when true, the text of control and user-defined tokens (e.g.
    ///   `<|im_start|>`) becomes that single token, longest match first at each position, and the
    ///   text between them is pre-tokenized separately. When false (the default) such text is
    ///   ordinary characters, as llama.cpp does with `parse_special = false`; the Hugging Face
    ///   tokenizers library matches them by default, so pass true to reproduce it.
    public func encode(_ text: String, parseSpecial: Bool = false) -> Encoding {
        guard !text.isEmpty else { return Encoding(text: text, ids: [], byteOffsets: [], droppedByteOffsets: []) }
        let bytes = Array(text.utf8)
        var scalars: [UInt32] = []
        var classes: [ScalarClass] = []
        var starts: [Int] = []  // byte offset of each scalar, then the total
        scalars.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        starts.reserveCapacity(bytes.count + 1)
        var offset = 0
        for scalar in text.unicodeScalars {
            scalars.append(scalar.value)
            classes.append(ScalarClass.of(scalar))
            starts.append(offset)
            offset += UTF8.width(scalar)
        }
        starts.append(offset)

        var output = EncodeOutput()
        output.ids.reserveCapacity(bytes.count / 3)
        output.offsets.reserveCapacity(bytes.count / 3)
        let view = TextView(bytes: bytes, scalars: scalars, classes: classes, starts: starts)

        var segmentStart = 0
        if parseSpecial {
            var i = 0
            while i < scalars.count {
                guard let special = matchSpecial(bytes, at: starts[i]) else { i += 1; continue }
                encodeOrdinary(view, scalarRange: segmentStart..<i, into: &output)
                let end = starts[i] + special.bytes.count
                output.ids.append(special.id)
                output.offsets.append(starts[i]..<end)
                while starts[i] < end { i += 1 }
                segmentStart = i
            }
        }
        encodeOrdinary(view, scalarRange: segmentStart..<scalars.count, into: &output)
        return Encoding(text: text, ids: output.ids, byteOffsets: output.offsets,
                        droppedByteOffsets: output.droppedBytes)
    }

    /// The token indices of `text` that cover the first occurrence of `substring` in it, e.g. the
    /// subject's tokens in a prompt. See ``Encoding/tokenRange(of:)``.
    /// - Throws: ``TokenizerError/substringNotFound(substring:text:)`` naming both strings.
    public func tokenRange(of substring: String, in text: String, parseSpecial: Bool = false) throws(TokenizerError) -> Range<Int> {
        try encode(text, parseSpecial: parseSpecial).tokenRange(of: substring)
    }

    /// The BPE tokens of one word given as UTF-8 bytes (no pre-tokenization).
    ///
    /// A byte without a token is left out before merging, so its neighbours become adjacent and
    /// may merge across it: the behaviour of HF `tokenizers` (`BPE::merge_word` skips characters
    /// missing from the vocabulary when there is no `unk_token`), which made the reference ids.
    func tokenizeWord(_ word: ArraySlice<UInt8>) -> WordTokens {
        if word.count == 1 {
            let id = byteTokenIDs[Int(word[word.startIndex])]
            return id < 0 ? WordTokens(ids: [], starts: [], ends: [], droppedBytes: true)
                : WordTokens(ids: [id], starts: [0], ends: [1])
        }
        if let cached = cache.get(word) { return cached }
        var result = WordTokens(ids: [], starts: [], ends: [])
        if ignoreMerges, let id = idsByToken[ByteEncoder.encode(word)] {
            result = WordTokens(ids: [Int32(id)], starts: [0], ends: [Int32(word.count)])
        } else {
            result.ids.reserveCapacity(word.count)
            result.starts.reserveCapacity(word.count)
            result.ends.reserveCapacity(word.count)
            for (offset, byte) in word.enumerated() {
                let id = byteTokenIDs[Int(byte)]
                guard id >= 0 else { result.droppedBytes = true; continue }
                result.ids.append(id)
                result.starts.append(Int32(offset))
                result.ends.append(Int32(offset + 1))
            }
            mergeTable.merge(&result)
        }
        cache.set(word, result)
        return result
    }

    private func matchSpecial(_ bytes: [UInt8], at position: Int) -> SpecialToken? {
        for candidate in specialTokensByFirstByte[Int(bytes[position])] {
            let end = position + candidate.bytes.count
            if end <= bytes.count && bytes[position..<end].elementsEqual(candidate.bytes) { return candidate }
        }
        return nil
    }

    /// Pre-tokenizes and BPE-encodes `scalarRange` of the text (which contains no special tokens).
    private func encodeOrdinary(_ text: TextView, scalarRange: Range<Int>, into output: inout EncodeOutput) {
        guard !scalarRange.isEmpty else { return }
        var pieces: [Range<Int>] = []
        scanner.split(scalars: text.scalars, classes: text.classes, range: scalarRange, into: &pieces)
        for piece in pieces {
            let wordStart = text.starts[piece.lowerBound]
            let wordBytes = text.bytes[wordStart..<text.starts[piece.upperBound]]
            let word = tokenizeWord(wordBytes)
            for i in word.ids.indices {
                output.ids.append(Int(word.ids[i]))
                output.offsets.append((wordStart + Int(word.starts[i]))..<(wordStart + Int(word.ends[i])))
            }
            if word.droppedBytes {
                for (offset, byte) in zip(wordBytes.indices, wordBytes) where byteTokenIDs[Int(byte)] < 0 {
                    output.droppedBytes.append(offset)
                }
            }
        }
    }
}

/// The decoded form of the input that encoding works on.
private struct TextView {
    let bytes: [UInt8]
    let scalars: [UInt32]
    let classes: [ScalarClass]
    let starts: [Int]
}

private struct EncodeOutput {
    var ids: [Int] = []
    var offsets: [Range<Int>] = []
    var droppedBytes: [Int] = []
}
