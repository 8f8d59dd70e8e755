import LocateFormats

/// Everything that can go wrong when building or using a ``Tokenizer``.
///
/// Every case carries what was found and its `description` says what to do about it.
/// Nothing in this module traps on bad input: malformed vocabularies, metadata or
/// `tokenizer.json` files surface as one of these errors.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A GGUF key could not be read (absent, wrong type, or the file is unreadable).
    case gguf(GGUFError)
    /// The tokenizer family is not byte-level BPE (`tokenizer.ggml.model` ≠ `gpt2`, or `model.type` ≠ `BPE`).
    case unsupportedModel(String)
    /// The pre-tokenizer name or configuration is not one this module implements.
    case unsupportedPreTokenizer(String, supported: [String])
    /// A setting that would change tokenization is present but not implemented.
    case unsupportedSetting(String)
    /// A required metadata key or JSON field is absent.
    case missingKey(String)
    /// A metadata value or JSON field has the wrong type or an impossible value.
    case invalidValue(key: String, reason: String)
    /// The vocabulary is empty.
    case emptyVocabulary
    /// `tokens` and `tokenTypes` have different lengths.
    case tokenTypeCountMismatch(tokens: Int, tokenTypes: Int)
    /// A token type outside 0…6 (llama.cpp's `llama_token_type`).
    case invalidTokenType(id: Int, type: Int)
    /// A merge rule that is not two tokens separated by one space.
    case malformedMerge(rank: Int, merge: String)
    /// A merge rule whose parts or whose result are not in the vocabulary.
    case mergeTokenNotInVocabulary(rank: Int, merge: String, token: String)
    /// A special-token id (BOS, EOS, …) outside the vocabulary.
    case invalidTokenID(role: String, id: Int, vocabularySize: Int)
    /// The `tokenizer.json` file could not be read or is not what this module expects.
    case malformedTokenizerJSON(path: String, reason: String)
    /// `tokenRange(of:in:)` was asked for a substring that does not occur in the text.
    case substringNotFound(substring: String, text: String)
    /// `tokenRange(of:in:)` was asked for the empty string, which has no tokens.
    case emptySubstring(text: String)

    public var description: String {
        switch self {
        case .gguf(let error):
            return "reading the tokenizer from GGUF metadata: \(error.description)"
        case .unsupportedModel(let name):
            return "tokenizer model '\(name)' is not supported; only byte-level BPE "
                + "(GGUF tokenizer.ggml.model = \"gpt2\", tokenizer.json model.type = \"BPE\") is implemented"
        case .unsupportedPreTokenizer(let name, let supported):
            return "pre-tokenizer '\(name)' is not supported; supported: \(supported.joined(separator: ", ")). "
                + "Tokenizing with a different pre-tokenizer would silently give different ids"
        case .unsupportedSetting(let what):
            return "unsupported tokenizer setting: \(what); tokenizing without it would give different ids"
        case .missingKey(let key):
            return "required tokenizer key '\(key)' is missing; is this a GGUF/tokenizer.json with a BPE tokenizer?"
        case .invalidValue(let key, let reason):
            return "tokenizer key '\(key)' is invalid: \(reason)"
        case .emptyVocabulary:
            return "the tokenizer vocabulary is empty"
        case .tokenTypeCountMismatch(let tokens, let tokenTypes):
            return "\(tokens) tokens but \(tokenTypes) token types; the two arrays must have one entry per token"
        case .invalidTokenType(let id, let type):
            return "token \(id) has type \(type); valid types are 0…6 "
                + "(1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte)"
        case .malformedMerge(let rank, let merge):
            return "merge #\(rank) '\(merge)' is not two tokens separated by a single space"
        case .mergeTokenNotInVocabulary(let rank, let merge, let token):
            return "merge #\(rank) '\(merge)' uses or produces '\(token)', which is not in the vocabulary"
        case .invalidTokenID(let role, let id, let size):
            return "\(role) token id \(id) is outside the vocabulary (size \(size))"
        case .malformedTokenizerJSON(let path, let reason):
            return "tokenizer.json at \(path): \(reason)"
        case .substringNotFound(let substring, let text):
            return "'\(substring)' does not occur in '\(text)' (the match is exact, byte for byte: check case, "
                + "spaces and Unicode normalization)"
        case .emptySubstring(let text):
            return "cannot find the tokens of an empty substring in '\(text)'; pass a non-empty subject"
        }
    }
}
