import Foundation
import LocateTokenizer

/// A hand-made byte-level vocabulary: the 256 byte symbols (ids 0…255), the results of a few
/// merges, and two special tokens. Small enough to reason about merge order by hand.
enum SmallVocabulary {
    static let merges = ["Ġ t", "h e", "Ġt he", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld",
                         "a a", "aa aa"]
    static let specials = ["<|end|>", "<|endoftext|>"]

    static var tokens: [String] {
        var tokens = ByteEncoder.scalars.map { String($0) }
        for merge in merges { tokens.append(merge.replacingOccurrences(of: " ", with: "")) }
        return tokens + specials
    }

    static var tokenTypes: [Int] {
        [Int](repeating: TokenType.normal.rawValue, count: tokens.count - specials.count)
            + [TokenType.control.rawValue, TokenType.userDefined.rawValue]
    }

    static func tokenizer(_ kind: PreTokenizerKind = .smollm) throws -> Tokenizer {
        try Tokenizer(tokens: tokens, merges: merges, tokenTypes: tokenTypes, preTokenizer: kind,
                      bosTokenID: tokens.count - 1, eosTokenID: tokens.count - 2)
    }

    /// The same vocabulary as a Hugging Face `tokenizer.json` object.
    static func json(pairMerges: Bool, preTokenizer: Any = smollmPreTokenizer) -> [String: Any] {
        var vocab: [String: Int] = [:]
        for (id, token) in tokens.enumerated() { vocab[token] = id }
        let base = tokens.count - specials.count
        let added: [[String: Any]] = specials.enumerated().map { offset, content in
            ["id": base + offset, "content": content, "special": offset == 0, "lstrip": false, "rstrip": false,
             "single_word": false, "normalized": false]
        }
        let mergeList: [Any] = pairMerges
            ? merges.map { $0.split(separator: " ").map(String.init) }
            : merges
        return [
            "version": "1.0", "added_tokens": added, "normalizer": NSNull(), "pre_tokenizer": preTokenizer,
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "ignore_merges": false,
                      "byte_fallback": false, "vocab": vocab, "merges": mergeList] as [String: Any],
        ]
    }

    static var smollmPreTokenizer: [String: Any] { [
        "type": "Sequence",
        "pretokenizers": [
            ["type": "Digits", "individual_digits": true],
            ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
        ],
    ] }

    /// Writes a JSON object to a fresh temporary file and returns its URL.
    static func write(_ object: Any) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("locate-tokenizer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("tokenizer.json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    static func write(text: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("locate-tokenizer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("tokenizer.json")
        try Data(text.utf8).write(to: url)
        return url
    }
}
