/// A vocabulary entry's type, as in GGUF `tokenizer.ggml.token_type` (llama.cpp `llama_token_type`).
public enum TokenType: Int, Sendable, CaseIterable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    /// A control token such as `<|im_start|>`; matched in text only with `parseSpecial: true`.
    case control = 3
    /// A user-defined (added) token; matched in text only with `parseSpecial: true`.
    case userDefined = 4
    case unused = 5
    case byte = 6

    /// Control and user-defined tokens: they are matched whole in text (with `parseSpecial`),
    /// and they decode to their literal text rather than through the byte table.
    public var isSpecial: Bool { self == .control || self == .userDefined }
}
