import Foundation
import LocateFormats

extension Tokenizer {
    /// The GGUF metadata keys read by ``init(gguf:)``.
    public enum GGUFKey {
        public static let model = "tokenizer.ggml.model"
        public static let pre = "tokenizer.ggml.pre"
        public static let tokens = "tokenizer.ggml.tokens"
        public static let merges = "tokenizer.ggml.merges"
        public static let tokenType = "tokenizer.ggml.token_type"
        public static let bosTokenID = "tokenizer.ggml.bos_token_id"
        public static let eosTokenID = "tokenizer.ggml.eos_token_id"
        public static let addBOSToken = "tokenizer.ggml.add_bos_token"
        public static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
    }

    /// Builds the tokenizer stored in a GGUF file's metadata.
    ///
    /// Requires `tokenizer.ggml.model = "gpt2"` (byte-level BPE), `tokens` and `merges`. Optional
    /// keys and their defaults when absent, as in llama.cpp: `pre` → `"default"` (the GPT-2
    /// pattern), `token_type` → all normal, `bos_token_id`/`eos_token_id` → none,
    /// `add_bos_token` → false. `add_space_prefix = true` is rejected (not implemented).
    /// - Throws: ``TokenizerError/gguf(_:)`` for a missing or mistyped key, and the errors of
    ///   ``init(tokens:merges:tokenTypes:preTokenizer:bosTokenID:eosTokenID:addBOS:)``.
    public convenience init(gguf file: GGUFFile) throws(TokenizerError) {
        let model = try Self.read { () throws(GGUFError) in try file.string(GGUFKey.model) }
        guard model == "gpt2" else { throw .unsupportedModel(model) }
        let preName = try Self.read { () throws(GGUFError) in
            file.metadata[GGUFKey.pre] == nil ? "default" : try file.string(GGUFKey.pre)
        }
        let kind = try PreTokenizerKind(ggufName: preName)
        let tokens = try Self.read { () throws(GGUFError) in try file.stringArray(GGUFKey.tokens) }
        let merges = try Self.read { () throws(GGUFError) in try file.stringArray(GGUFKey.merges) }
        let types = try Self.read { () throws(GGUFError) in
            file.metadata[GGUFKey.tokenType] == nil
                ? [Int](repeating: TokenType.normal.rawValue, count: tokens.count)
                : try file.intArray(GGUFKey.tokenType)
        }
        let bos = try Self.read { () throws(GGUFError) in try file.intIfPresent(GGUFKey.bosTokenID) }
        let eos = try Self.read { () throws(GGUFError) in try file.intIfPresent(GGUFKey.eosTokenID) }
        let addBOS = try Self.read { () throws(GGUFError) in
            file.metadata[GGUFKey.addBOSToken] == nil ? false : try file.bool(GGUFKey.addBOSToken)
        }
        let spacePrefix = try Self.read { () throws(GGUFError) in
            file.metadata[GGUFKey.addSpacePrefix] == nil ? false : try file.bool(GGUFKey.addSpacePrefix)
        }
        if spacePrefix {
            throw .unsupportedSetting("\(GGUFKey.addSpacePrefix) = true (a space before the text) is not implemented")
        }
        try self.init(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: kind,
                      bosTokenID: bos, eosTokenID: eos, addBOS: addBOS)
    }

    /// Opens a GGUF file and builds its tokenizer (see ``init(gguf:)``).
    public convenience init(ggufAt url: URL) throws(TokenizerError) {
        let file = try Self.read { () throws(GGUFError) in try GGUFFile(contentsOf: url) }
        try self.init(gguf: file)
    }

    private static func read<T>(_ body: () throws(GGUFError) -> T) throws(TokenizerError) -> T {
        do { return try body() } catch { throw .gguf(error) }
    }
}
