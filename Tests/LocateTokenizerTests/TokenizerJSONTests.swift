import Foundation
import LocateTokenizer
import Testing

@Suite("tokenizer.json loading")
struct TokenizerJSONTests {
    static let sampleTexts = ["hello world", "the the hello", "aaaaaaa 12 aa", "x<|end|>y", "  world\n\nhell", "é😀"]

    /// A small tokenizer.json (both merge forms) tokenizes like the array-based init. Guards the
    /// JSON glue: vocab by id, merge order, added-token types and the pre-tokenizer mapping.
    @Test(arguments: [false, true])
    func smallFileMatchesArrayInit(pairMerges: Bool) throws {
        let url = try SmallVocabulary.write(SmallVocabulary.json(pairMerges: pairMerges))
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let fromJSON = try Tokenizer(tokenizerJSON: url)
        let fromArrays = try SmallVocabulary.tokenizer()
        #expect(fromJSON.vocabularySize == fromArrays.vocabularySize)
        #expect(fromJSON.preTokenizer == .smollm)
        for text in Self.sampleTexts {
            for parseSpecial in [false, true] {
                #expect(fromJSON.encode(text, parseSpecial: parseSpecial) == fromArrays.encode(text, parseSpecial: parseSpecial))
            }
        }
        #expect(fromJSON.tokenType(for: fromJSON.id(for: "<|end|>")!) == .control)
        #expect(fromJSON.tokenType(for: fromJSON.id(for: "<|endoftext|>")!) == .userDefined)
    }

    /// The full SmolLM2 vocabulary written as tokenizer.json encodes all 50 reference cases
    /// identically to the GGUF tokenizer. Guards the loader at real scale (49152 tokens, 48900
    /// pair-form merges, 17 special tokens).
    @Test func fullVocabularyMatchesGGUF() throws {
        let vocabulary = try TokenizerFixtures.vocabulary()
        var vocab: [String: Int] = [:]
        for (id, token) in vocabulary.tokens.enumerated() { vocab[token] = id }
        let added: [[String: Any]] = vocabulary.tokenTypes.enumerated().filter { $0.element == 3 }.map {
            ["id": $0.offset, "content": vocabulary.tokens[$0.offset], "special": true,
             "lstrip": false, "rstrip": false, "single_word": false, "normalized": false]
        }
        let json: [String: Any] = [
            "added_tokens": added, "normalizer": NSNull(), "pre_tokenizer": SmallVocabulary.smollmPreTokenizer,
            "model": ["type": "BPE", "vocab": vocab,
                      "merges": vocabulary.merges.map { $0.split(separator: " ", maxSplits: 1).map(String.init) }] as [String: Any],
        ]
        let url = try SmallVocabulary.write(json)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let fromJSON = try Tokenizer(tokenizerJSON: url, bosTokenID: 1, eosTokenID: 2)
        let fromGGUF = try TokenizerFixtures.smollm()
        #expect(fromJSON.vocabularySize == 49152)
        for reference in try ReferenceCase.load() {
            #expect(fromJSON.encode(reference.text, parseSpecial: true).ids == reference.ids)
            #expect(fromJSON.encode(reference.text) == fromGGUF.encode(reference.text))
        }
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        let name: String
        let contents: String
        let check: @Sendable (TokenizerError) -> Bool
        var testDescription: String { name }
    }

    static func isMalformed(_ fragment: String) -> @Sendable (TokenizerError) -> Bool {
        { if case .malformedTokenizerJSON(_, let reason) = $0 { return reason.contains(fragment) }; return false }
    }

    static let malformed: [Malformed] = [
        Malformed(name: "not JSON", contents: "{ this is not json", check: isMalformed("not valid JSON")),
        Malformed(name: "array at top", contents: "[1, 2]", check: isMalformed("top level")),
        Malformed(name: "no model", contents: "{\"added_tokens\": []}", check: isMalformed("no \"model\"")),
        Malformed(name: "unigram", contents: "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}",
                  check: { $0 == .unsupportedModel("Unigram") }),
        Malformed(name: "vocab not object",
                  contents: "{\"model\": {\"type\": \"BPE\", \"vocab\": [], \"merges\": []}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}",
                  check: isMalformed("model.vocab")),
        Malformed(name: "gap in ids",
                  contents: "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 2}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}",
                  check: isMalformed("no token has id 1")),
        Malformed(name: "bad merge element",
                  contents: "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [42]}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}",
                  check: isMalformed("element 0")),
        Malformed(name: "merge outside vocab",
                  contents: "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}",
                  check: { $0 == .mergeTokenNotInVocabulary(rank: 0, merge: "a b", token: "b") }),
        Malformed(name: "metaspace pre-tokenizer",
                  contents: "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"Metaspace\"}}",
                  check: { if case .unsupportedPreTokenizer(let name, let supported) = $0 { return name.contains("Metaspace") && supported.count == 2 }; return false }),
        Malformed(name: "prefix space",
                  contents: "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true}}",
                  check: { if case .unsupportedPreTokenizer = $0 { return true }; return false }),
        Malformed(name: "normalizer",
                  contents: "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"normalizer\": {\"type\": \"NFC\"}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}",
                  check: { if case .unsupportedSetting(let what) = $0 { return what.contains("NFC") }; return false }),
        Malformed(name: "byte fallback",
                  contents: "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [], \"byte_fallback\": true}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}",
                  check: { $0 == .unsupportedSetting("model.byte_fallback = true") }),
    ]

    /// Malformed or unsupported files throw a typed error that says what is wrong, instead of
    /// trapping or silently tokenizing differently.
    @Test(arguments: malformed)
    func malformedFilesThrowTypedErrors(_ testCase: Malformed) throws {
        let url = try SmallVocabulary.write(text: testCase.contents)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        do {
            _ = try Tokenizer(tokenizerJSON: url)
            Issue.record("expected an error")
        } catch {
            #expect(testCase.check(error), "got \(error)")
            #expect(!error.description.isEmpty)
        }
    }

    /// A missing file is a typed error naming the path.
    @Test func missingFileThrows() {
        let url = URL(fileURLWithPath: "/nonexistent/dir/tokenizer.json")
        #expect { try Tokenizer(tokenizerJSON: url) } throws: { error in
            guard case .malformedTokenizerJSON(let path, _) = error as? TokenizerError else { return false }
            return path == url.path
        }
    }
}
