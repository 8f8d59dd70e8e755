import Foundation
import LocateFormats
import LocateTokenizer
import TestSupport
import Testing

/// The real SmolLM2 tokenizer and the reference cases, loaded once per test process.
enum TokenizerFixtures {
    /// The GGUF vocabulary arrays, read through the Swift GGUF reader.
    struct Vocabulary: Sendable {
        let tokens: [String]
        let merges: [String]
        let tokenTypes: [Int]
    }

    private static let fileResult = Result<GGUFFile, any Error> { try GGUFFile(contentsOf: Fixtures.defaultModel) }
    private static let smollmResult = Result<Tokenizer, any Error> { try Tokenizer(gguf: fileResult.get()) }
    private static let vocabularyResult = Result<Vocabulary, any Error> {
        let file = try fileResult.get()
        return Vocabulary(tokens: try file.stringArray("tokenizer.ggml.tokens"),
                          merges: try file.stringArray("tokenizer.ggml.merges"),
                          tokenTypes: try file.intArray("tokenizer.ggml.token_type"))
    }
    private static let gpt2Result = Result<Tokenizer, any Error> {
        let vocabulary = try vocabularyResult.get()
        return try Tokenizer(tokens: vocabulary.tokens, merges: vocabulary.merges,
                             tokenTypes: vocabulary.tokenTypes, preTokenizer: .gpt2)
    }

    static func gguf() throws -> GGUFFile { try fileResult.get() }
    /// `Tokenizer(gguf:)` of the default model (pre-tokenizer "smollm").
    static func smollm() throws -> Tokenizer { try smollmResult.get() }
    /// The same vocabulary with the plain GPT-2 pre-tokenizer (what transformers builds from the GGUF).
    static func gpt2() throws -> Tokenizer { try gpt2Result.get() }
    static func vocabulary() throws -> Vocabulary { try vocabularyResult.get() }
}

/// One case of `tokenizer_cases.json`.
struct ReferenceCase: Sendable, CustomTestStringConvertible {
    let index: Int
    let text: String
    let ids: [Int]
    let decodedPieces: [String]
    let roundtrip: Bool
    /// The ids of the transformers GGUF tokenizer (plain GPT-2 pre-tokenizer) where they differ.
    let idsTransformersGGUF: [Int]?

    var testDescription: String { "#\(index) \(text.debugDescription)" }

    static func load() throws -> [ReferenceCase] {
        let root = try Fixtures.json("tokenizer_cases.json") as? [String: Any]
        let cases = root?["cases"] as? [[String: Any]] ?? []
        return cases.enumerated().map { index, entry in
            ReferenceCase(
                index: index,
                text: entry["text"] as? String ?? "",
                ids: entry["ids"] as? [Int] ?? [],
                decodedPieces: entry["decoded_pieces"] as? [String] ?? [],
                roundtrip: entry["roundtrip"] as? Bool ?? false,
                idsTransformersGGUF: entry["ids_transformers_gguf"] as? [Int])
        }
    }
}

/// One prompt of `prompts.json`.
struct ReferencePrompt: Sendable, CustomTestStringConvertible {
    let prompt: String
    let subject: String
    let inputIDs: [Int]
    let subjectRange: Range<Int>

    var testDescription: String { "\(prompt.debugDescription) / \(subject.debugDescription)" }

    static func load() throws -> [ReferencePrompt] {
        let root = try Fixtures.json("prompts.json") as? [String: Any]
        let prompts = root?["prompts"] as? [[String: Any]] ?? []
        return prompts.map { entry in
            let range = entry["subject_token_range"] as? [Int] ?? [0, 0]
            return ReferencePrompt(prompt: entry["prompt"] as? String ?? "",
                                   subject: entry["subject"] as? String ?? "",
                                   inputIDs: entry["input_ids"] as? [Int] ?? [],
                                   subjectRange: range[0]..<range[1])
        }
    }
}
