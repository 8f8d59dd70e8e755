import LocateFormats
import LocateTokenizer
import Testing
import TestSupport

@Suite("GGUF glue")
struct GGUFGlueTests {
    /// A GGUF holding the small vocabulary's tokenizer keys, with `edit` applied.
    static func file(_ edit: (inout GGUFBuilder) -> Void = { _ in }) throws -> GGUFFile {
        var builder = GGUFBuilder()
        builder.set("general.architecture", .string("llama"))
        builder.set("tokenizer.ggml.model", .string("gpt2"))
        builder.set("tokenizer.ggml.pre", .string("smollm"))
        builder.set("tokenizer.ggml.tokens", .array(SmallVocabulary.tokens.map { .string($0) }))
        builder.set("tokenizer.ggml.merges", .array(SmallVocabulary.merges.map { .string($0) }))
        builder.set("tokenizer.ggml.token_type", .array(SmallVocabulary.tokenTypes.map { .int32(Int32($0)) }))
        builder.set("tokenizer.ggml.bos_token_id", .uint32(UInt32(SmallVocabulary.tokens.count - 1)))
        builder.set("tokenizer.ggml.eos_token_id", .uint32(UInt32(SmallVocabulary.tokens.count - 2)))
        builder.set("tokenizer.ggml.add_bos_token", .bool(true))
        edit(&builder)
        return try GGUFFile(bytes: builder.build())
    }

    /// Every key is read: the GGUF tokenizer equals the array-based one, with BOS/EOS/add_bos.
    /// Guards key names and value types in the glue (a misspelt optional key would silently
    /// fall back to its default).
    @Test func smallGGUFMatchesArrayInit() throws {
        let tokenizer = try Tokenizer(gguf: Self.file())
        let reference = try SmallVocabulary.tokenizer()
        #expect(tokenizer.bosTokenID == reference.bosTokenID && tokenizer.eosTokenID == reference.eosTokenID)
        #expect(tokenizer.addBOS)
        #expect(tokenizer.preTokenizer == .smollm)
        for text in TokenizerJSONTests.sampleTexts {
            #expect(tokenizer.encode(text, parseSpecial: true) == reference.encode(text, parseSpecial: true))
        }
    }

    /// The real model: `Tokenizer(gguf:)` reads SmolLM2's metadata through the Swift reader and
    /// picks the "smollm" pre-tokenizer. Falling back to plain GPT-2 would still give the right
    /// ids for every ASCII prompt and go unnoticed.
    @Test func realModelMetadata() throws {
        let tokenizer = try TokenizerFixtures.smollm()
        #expect(tokenizer.preTokenizer == .smollm)
        #expect(tokenizer.vocabularySize == 49152 && !tokenizer.addBOS)
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        let name: String
        let edit: @Sendable (inout GGUFBuilder) -> Void
        let expected: TokenizerError
        var testDescription: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "SentencePiece model", edit: { $0.set("tokenizer.ggml.model", .string("llama")) },
                expected: .unsupportedModel("llama")),
        BadCase(name: "unknown pre-tokenizer", edit: { $0.set("tokenizer.ggml.pre", .string("qwen2")) },
                expected: .unsupportedPreTokenizer("qwen2", supported: PreTokenizerKind.ggufNames.map(\.name))),
        BadCase(name: "no tokens", edit: { $0.pairs.removeAll { $0.key == Array("tokenizer.ggml.tokens".utf8) } },
                expected: .gguf(.missingKey("tokenizer.ggml.tokens"))),
        BadCase(name: "tokens not strings", edit: { $0.set("tokenizer.ggml.tokens", .array([.int32(1)])) },
                expected: .gguf(.wrongType(key: "tokenizer.ggml.tokens", expected: "ARRAY[STRING]", found: "ARRAY[INT32]"))),
        BadCase(name: "short token_type", edit: { $0.set("tokenizer.ggml.token_type", .array([.int32(1)])) },
                expected: .tokenTypeCountMismatch(tokens: SmallVocabulary.tokens.count, tokenTypes: 1)),
        BadCase(name: "BOS out of range", edit: { $0.set("tokenizer.ggml.bos_token_id", .uint32(999_999)) },
                expected: .invalidTokenID(role: "BOS", id: 999_999, vocabularySize: SmallVocabulary.tokens.count)),
        BadCase(name: "malformed merge", edit: { $0.set("tokenizer.ggml.merges", .array([.string("Ġt")])) },
                expected: .malformedMerge(rank: 0, merge: "Ġt")),
        BadCase(name: "space prefix", edit: { $0.set("tokenizer.ggml.add_space_prefix", .bool(true)) },
                expected: .unsupportedSetting("tokenizer.ggml.add_space_prefix = true (a space before the text) is not implemented")),
    ]

    /// Bad or unsupported metadata gives the specific typed error, never a trap or a tokenizer
    /// that would silently produce other ids.
    @Test(arguments: badCases)
    func badMetadataThrows(_ testCase: BadCase) throws {
        let file = try Self.file(testCase.edit)
        #expect(throws: testCase.expected) { try Tokenizer(gguf: file) }
    }
}
