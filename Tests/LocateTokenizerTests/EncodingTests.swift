import LocateTokenizer
import Testing

@Suite("Encoding, offsets and special tokens")
struct EncodingTests {
    /// The empty string is no tokens, not an error and not a lone BOS; the caller decides.
    @Test func emptyStringEncodesToNothing() throws {
        let tokenizer = try SmallVocabulary.tokenizer()
        let encoding = tokenizer.encode("")
        #expect(encoding.ids.isEmpty && encoding.byteOffsets.isEmpty)
        #expect(tokenizer.decode([]) == "")
    }

    /// Merges apply lowest rank first, leftmost on ties: "aaaaa" → "aaaa" + "a", "hello" uses the
    /// chain h+e → he, l+l → ll, … Guards the priority order of the merge loop on a vocabulary small
    /// enough to check by hand.
    @Test func mergeOrderOnSmallVocabulary() throws {
        let tokenizer = try SmallVocabulary.tokenizer()
        func tokens(_ text: String) -> [String] { tokenizer.encode(text).ids.map { tokenizer.token(for: $0)! } }
        #expect(tokens("aaaaa") == ["aaaa", "a"])
        #expect(tokens("aaa") == ["aa", "a"])
        #expect(tokens("hello world") == ["hello", "Ġworld"])
        #expect(tokens("the the") == ["t", "he", "Ġthe"])
        #expect(tokens("hell") == ["hell"])
    }

    /// Special-token text is only one token with `parseSpecial: true`; by default it is characters.
    /// Guards against prompt text injecting control tokens, and against the chat template's tokens
    /// being split when they are wanted.
    @Test func specialTokensOnlyWhenParsingSpecial() throws {
        let tokenizer = try TokenizerFixtures.smollm()
        let text = "<|im_start|>user\nHi<|im_end|>"
        let parsed = tokenizer.encode(text, parseSpecial: true)
        #expect(parsed.ids == [1, 4093, 198, 26843, 2])
        #expect(parsed.byteOffsets.first == 0..<12)
        #expect(parsed.byteOffsets.last == 19..<29)
        let plain = tokenizer.encode(text)
        #expect(!plain.ids.contains(1) && !plain.ids.contains(2))
        #expect(tokenizer.decode(plain.ids) == text)
        #expect(tokenizer.decode(parsed.ids, skipSpecialTokens: true) == "user\nHi")
        // Longest match first: "<|endoftext|>" is not read as a shorter special token.
        #expect(tokenizer.encode("a<|endoftext|>b", parseSpecial: true).ids.contains(0))
        #expect(tokenizer.isSpecial(1) && !tokenizer.isSpecial(4093))
        #expect(tokenizer.tokenType(for: 1) == .control)
    }

    /// User-defined tokens (type 4) follow the same rule as control tokens.
    @Test func userDefinedTokensFollowParseSpecial() throws {
        let tokenizer = try SmallVocabulary.tokenizer()
        let id = try #require(tokenizer.id(for: "<|endoftext|>"))
        #expect(tokenizer.tokenType(for: id) == .userDefined)
        #expect(tokenizer.encode("x<|endoftext|>", parseSpecial: true).ids.last == id)
        #expect(!tokenizer.encode("x<|endoftext|>").ids.contains(id))
    }

    static let offsetTexts = [
        "The capital of France is Paris.",
        "  indented\tcode\n\n  x = 42 ",
        "café naïve résumé — “quotes”",
        "日本語のテキスト 中文测试",
        "emoji 😀🎉 family 👨‍👩‍👧‍👦 flag 🇫🇷",
        "e\u{301} combining, ﬁ ligature, zero\u{200B}width, nbsp\u{A0}x",
    ]

    /// Every token's scalar range slices back to its own text when the token holds whole
    /// characters, and to the whole scalar when it holds part of one. Guards subject location
    /// and per-token labels in non-ASCII prompts.
    @Test(arguments: offsetTexts)
    func offsetsSliceBackToTokenText(_ text: String) throws {
        let tokenizer = try TokenizerFixtures.smollm()
        let encoding = tokenizer.encode(text)
        let utf8 = Array(text.utf8)
        var sawPartial = false
        for (i, id) in encoding.ids.enumerated() {
            let bytes = try #require(tokenizer.bytes(for: id))
            #expect(Array(utf8[encoding.byteOffsets[i]]) == bytes)
            let piece = tokenizer.decodePiece(id)
            let sliced = encoding.text(ofToken: i)
            if piece.contains("\u{FFFD}") {
                sawPartial = true
                // Widened to the scalar(s) the bytes belong to.
                let range = encoding.byteOffsets[i]
                let widened = encoding.scalarRange(ofToken: i)
                #expect(sliced.utf8.count > bytes.count)
                #expect(text.utf8.distance(from: text.utf8.startIndex, to: widened.lowerBound) <= range.lowerBound)
                #expect(text.utf8.distance(from: text.utf8.startIndex, to: widened.upperBound) >= range.upperBound)
            } else {
                #expect(sliced == piece)
            }
            let characters = encoding.characterRange(ofToken: i)
            #expect(text[characters].utf8.count >= sliced.utf8.count)
        }
        if text.unicodeScalars.contains(where: { $0.value > 0x7FF }) && text.contains("😀") { #expect(sawPartial) }
    }

    /// A token ending inside a grapheme cluster ("e" before U+0301) gets the whole Character from
    /// `characterRange`, while `scalarRange` keeps just the "e".
    @Test func characterRangeWidensToGraphemes() throws {
        let tokenizer = try TokenizerFixtures.smollm()
        let text = "e\u{301} combining"
        let encoding = tokenizer.encode(text)
        #expect(encoding.text(ofToken: 0) == "e")
        #expect(text[encoding.characterRange(ofToken: 0)] == "e\u{301}")
    }

    /// `tokenRange` finds the first occurrence, covers partial overlaps, and throws an error naming
    /// both strings when the substring is absent. Guards causal tracing from corrupting the wrong span.
    @Test func tokenRangeOfSubstring() throws {
        let tokenizer = try TokenizerFixtures.smollm()
        #expect(try tokenizer.tokenRange(of: "France", in: "The capital of France is") == 3..<4)
        #expect(try tokenizer.tokenRange(of: "Danielle Darrieux", in: "The mother tongue of Danielle Darrieux is") == 4..<9)
        #expect(try tokenizer.tokenRange(of: "本", in: "日本語のテキスト") == 2..<3)
        #expect(try tokenizer.tokenRange(of: "日", in: "日本語のテキスト") == 0..<2)
        #expect(try tokenizer.tokenRange(of: "Paris", in: "Paris and Paris") == 0..<1)
        #expect(throws: TokenizerError.substringNotFound(substring: "Berlin", text: "The capital of France is")) {
            try tokenizer.tokenRange(of: "Berlin", in: "The capital of France is")
        }
        let message = TokenizerError.substringNotFound(substring: "Berlin", text: "The capital").description
        #expect(message.contains("Berlin") && message.contains("The capital"))
        #expect(throws: TokenizerError.emptySubstring(text: "x")) { try tokenizer.tokenRange(of: "", in: "x") }
    }

    /// Bytes the vocabulary lacks (SmolLM2 has no token for 0x04) are dropped, as the reference
    /// does, but reported, so a caller can notice text that cannot be represented.
    @Test func bytesWithoutTokenAreDroppedAndReported() throws {
        let tokenizer = try TokenizerFixtures.smollm()
        #expect(tokenizer.bytesWithoutToken.contains(0x04))
        let encoding = tokenizer.encode("a\u{04}b")
        #expect(encoding.droppedByteOffsets == [1])
        #expect(tokenizer.decode(encoding.ids) == "ab")
        #expect(tokenizer.encode("ab").droppedByteOffsets.isEmpty)
    }

    /// Vocabulary lookups in both directions, and decoding of ids outside the vocabulary as U+FFFD
    /// instead of a trap.
    @Test func vocabularyAccess() throws {
        let tokenizer = try TokenizerFixtures.smollm()
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.mergeCount == 48900)
        #expect(tokenizer.id(for: "Ġand") == 284)
        #expect(tokenizer.token(for: 284) == "Ġand")
        #expect(tokenizer.token(for: 49152) == nil && tokenizer.token(for: -1) == nil)
        #expect(tokenizer.decode([284, 49152, -3]) == " and\u{FFFD}\u{FFFD}")
        #expect(tokenizer.bosTokenID == 1 && tokenizer.eosTokenID == 2 && tokenizer.addBOS == false)
        #expect(tokenizer.preTokenizer == .smollm)
    }
}
