/// The result of ``Tokenizer/encode(_:parseSpecial:)``: ids, and where each token sits in the text.
///
/// Offsets are UTF-8 byte ranges into ``text``, and they are exact: the tokens tile the text in
/// order, and each range is the bytes that token stands for (the only exception is a byte the
/// vocabulary cannot represent, see ``droppedByteOffsets``). A multi-byte character can be split
/// over two or more tokens (e.g. an emoji as `ðŁĺ` + `Ģ`); then each of those tokens gets the exact
/// bytes it covers, and the `String.Index` helpers widen that to the whole scalar or Character.
public struct Encoding: Sendable, Equatable {
    /// The text that was encoded.
    public let text: String
    /// The token ids, in order.
    public let ids: [Int]
    /// The UTF-8 byte range of each token in ``text`` (same count as ``ids``).
    public let byteOffsets: [Range<Int>]
    /// Offsets of bytes that were dropped because the vocabulary has no token for them (see
    /// ``Tokenizer/bytesWithoutToken``); normally empty. A dropped byte lies between two tokens'
    /// ranges, or inside one if a merge joined its neighbours.
    public let droppedByteOffsets: [Int]

    public init(text: String, ids: [Int], byteOffsets: [Range<Int>], droppedByteOffsets: [Int] = []) {
        self.text = text
        self.ids = ids
        self.byteOffsets = byteOffsets
        self.droppedByteOffsets = droppedByteOffsets
    }

    /// Number of tokens.
    public var count: Int { ids.count }
    public var isEmpty: Bool { ids.isEmpty }

    /// The token's range widened outward to Unicode-scalar boundaries.
    ///
    /// For a token that covers whole scalars this is exactly its text; the tokens of a split
    /// scalar all report that scalar. Slice with `text.unicodeScalars[range]` (or use
    /// ``text(ofToken:)``): `String`'s own subscript rounds to Character boundaries, which would cut
    /// a token that ends inside a grapheme cluster (e.g. before a combining accent).
    public func scalarRange(ofToken index: Int) -> Range<String.Index> {
        let utf8 = text.utf8
        func isContinuation(_ offset: Int) -> Bool {
            offset > 0 && offset < utf8.count && utf8[stringIndex(offset)] & 0xC0 == 0x80
        }
        var lower = byteOffsets[index].lowerBound
        var upper = byteOffsets[index].upperBound
        while isContinuation(lower) { lower -= 1 }
        while isContinuation(upper) { upper += 1 }
        return stringIndex(lower)..<stringIndex(upper)
    }

    /// The token's range widened outward to Character (grapheme cluster) boundaries, so that
    /// `text[range]` is the smallest run of whole Characters containing the token.
    public func characterRange(ofToken index: Int) -> Range<String.Index> {
        let scalars = scalarRange(ofToken: index)
        var lower = text.startIndex
        var upper = text.endIndex
        var i = text.startIndex
        while i < text.endIndex {
            if i <= scalars.lowerBound { lower = i }
            if i >= scalars.upperBound { upper = i; break }
            i = text.index(after: i)
        }
        return lower..<upper
    }

    /// The text of a token (whole scalars, see ``scalarRange(ofToken:)``).
    public func text(ofToken index: Int) -> String {
        String(text.unicodeScalars[scalarRange(ofToken: index)])
    }

    /// The token indices that cover the first occurrence of `substring` in ``text``.
    ///
    /// The substring is found byte for byte (no case folding or Unicode normalization). The range
    /// runs from the first token that overlaps it to the last one that does, as ROME's
    /// `find_token_range` does on decoded tokens, e.g. "France" in "The capital of France is" → 3..<4.
    /// - Throws: ``TokenizerError/substringNotFound(substring:text:)`` if it does not occur;
    ///   ``TokenizerError/emptySubstring(text:)`` for "".
    public func tokenRange(of substring: String) throws(TokenizerError) -> Range<Int> {
        guard !substring.isEmpty else { throw .emptySubstring(text: text) }
        let haystack = Array(text.utf8)
        let needle = Array(substring.utf8)
        guard let start = Self.firstOccurrence(of: needle, in: haystack),
              let range = tokenRange(coveringBytes: start..<(start + needle.count))
        else { throw .substringNotFound(substring: substring, text: text) }
        return range
    }

    /// The token indices whose byte ranges overlap `bytes`, or nil if none does.
    public func tokenRange(coveringBytes bytes: Range<Int>) -> Range<Int>? {
        guard let first = byteOffsets.firstIndex(where: { $0.upperBound > bytes.lowerBound && !$0.isEmpty }),
              let last = byteOffsets.lastIndex(where: { $0.lowerBound < bytes.upperBound && !$0.isEmpty }),
              first <= last
        else { return nil }
        return first..<(last + 1)
    }

    private func stringIndex(_ byteOffset: Int) -> String.Index {
        text.utf8.index(text.utf8.startIndex, offsetBy: byteOffset)
    }

    private static func firstOccurrence(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        let first = needle[0]
        var i = 0
        let lastStart = haystack.count - needle.count
        while i <= lastStart {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
