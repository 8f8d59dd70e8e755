import Foundation
import LocateTokenizer
import Testing

/// The tokenizer reproduces the PyTorch reference (`tokenizer_cases.json`, ORACLE.md §2.2).
@Suite("Reference cases")
struct ReferenceCaseTests {
    /// All 50 cases are present: a fixture that failed to parse would make the parameterized
    /// tests below run zero times and pass vacuously.
    @Test func fixtureHasFiftyCases() throws {
        #expect(try ReferenceCase.load().count == 50)
    }

    /// Ids equal the reference (smollm pre-tokenizer, special tokens matched as HF does).
    /// Guards against any deviation in the pre-tokenizer regex semantics, merge order or byte table,
    /// which would otherwise only show up as slightly different model outputs.
    @Test(arguments: try ReferenceCase.load())
    func idsMatchReference(_ reference: ReferenceCase) throws {
        let tokenizer = try TokenizerFixtures.smollm()
        #expect(tokenizer.encode(reference.text, parseSpecial: true).ids == reference.ids)
    }

    /// Each id decoded on its own equals the reference's `decoded_pieces` (lossy U+FFFD for partial
    /// UTF-8). Guards the per-token labels shown in plots and reports.
    @Test(arguments: try ReferenceCase.load())
    func piecesMatchReference(_ reference: ReferenceCase) throws {
        let tokenizer = try TokenizerFixtures.smollm()
        #expect(tokenizer.decodePieces(reference.ids) == reference.decodedPieces)
    }

    /// decode(ids) gives back the text. Guards the inverse byte table and special-token decoding.
    @Test(arguments: try ReferenceCase.load().filter(\.roundtrip))
    func decodeRoundTrips(_ reference: ReferenceCase) throws {
        let tokenizer = try TokenizerFixtures.smollm()
        #expect(tokenizer.decode(reference.ids) == reference.text)
    }

    /// The plain GPT-2 pre-tokenizer gives the transformers-from-GGUF ids: equal to the reference
    /// except where `ids_transformers_gguf` says otherwise. Guards the digit-splitting step: without
    /// it `" ²"` merges into `ĠÂ` + `²` and nothing else would notice.
    @Test(arguments: try ReferenceCase.load())
    func gpt2PreTokenizerGivesTransformersIDs(_ reference: ReferenceCase) throws {
        let tokenizer = try TokenizerFixtures.gpt2()
        #expect(tokenizer.encode(reference.text, parseSpecial: true).ids == reference.idsTransformersGGUF ?? reference.ids)
    }

    /// Without `parseSpecial`, text that contains no special-token text encodes the same; special
    /// text such as `<|im_start|>` becomes ordinary characters. Guards against a user's prompt
    /// being able to inject control tokens by default.
    @Test(arguments: try ReferenceCase.load())
    func defaultEncodingTreatsSpecialTextAsPlain(_ reference: ReferenceCase) throws {
        let tokenizer = try TokenizerFixtures.smollm()
        let plain = tokenizer.encode(reference.text).ids
        if reference.text.contains("<|") {
            #expect(plain != reference.ids)
            #expect(!plain.contains { tokenizer.isSpecial($0) })
            #expect(tokenizer.decode(plain) == reference.text)
        } else {
            #expect(plain == reference.ids)
        }
    }

    /// Byte offsets tile the text and each covers exactly the token's bytes. Guards `tokenRange`,
    /// which relies on them to find a subject's tokens.
    @Test(arguments: try ReferenceCase.load())
    func offsetsTileTheText(_ reference: ReferenceCase) throws {
        let tokenizer = try TokenizerFixtures.smollm()
        let encoding = tokenizer.encode(reference.text, parseSpecial: true)
        let bytes = Array(reference.text.utf8)
        var position = 0
        for (id, range) in zip(encoding.ids, encoding.byteOffsets) {
            #expect(range.lowerBound == position)
            #expect(Array(bytes[range]) == tokenizer.bytes(for: id))
            position = range.upperBound
        }
        #expect(position == bytes.count)
    }
}

/// The oracle prompts (p00–p09): ids and subject token ranges (ORACLE.md §2.1).
@Suite("Reference prompts")
struct ReferencePromptTests {
    /// The fixture loaded; otherwise the parameterized tests would pass vacuously.
    @Test func fixtureHasTenPrompts() throws {
        #expect(try ReferencePrompt.load().count == 10)
    }

    /// `input_ids` equal the reference. Guards every forward-pass comparison downstream, which
    /// would fail for reasons that look numerical if the ids were off.
    @Test(arguments: try ReferencePrompt.load())
    func inputIDsMatch(_ prompt: ReferencePrompt) throws {
        let tokenizer = try TokenizerFixtures.smollm()
        #expect(tokenizer.encode(prompt.prompt).ids == prompt.inputIDs)
    }

    /// `tokenRange(of: subject)` equals ROME's `find_token_range`. Guards causal tracing, which
    /// would corrupt the wrong tokens and still produce a plausible-looking heatmap.
    @Test(arguments: try ReferencePrompt.load())
    func subjectRangeMatches(_ prompt: ReferencePrompt) throws {
        let tokenizer = try TokenizerFixtures.smollm()
        #expect(try tokenizer.tokenRange(of: prompt.subject, in: prompt.prompt) == prompt.subjectRange)
    }
}
