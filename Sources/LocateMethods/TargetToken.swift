import LocateModel
import LocateTokenizer

/// The one token whose logit a lens or a sub-update analysis follows, chosen from text.
public struct TargetToken: Sendable, Equatable {
    /// The token id.
    public let id: Int
    /// The text that was encoded (with the leading space added when there was none).
    public let text: String
    /// Set when the text is several tokens and only the first is followed.
    public let note: String?

    public init(id: Int, text: String, note: String?) {
        self.id = id; self.text = text; self.note = note
    }

    /// The target for `text`: a word that follows a prompt gets a leading space, as in
    /// `locate trace --target` ("Paris" → " Paris"); text already starting with whitespace is
    /// kept. When the text encodes to several tokens, the first is used and ``note`` says so.
    ///
    /// - Throws: ``ProjectionError/emptyTarget`` when the text encodes to nothing.
    public static func resolve(_ text: String, tokenizer: Tokenizer) throws(ProjectionError) -> TargetToken {
        guard !text.isEmpty else { throw .emptyTarget }
        let spaced = text.first?.isWhitespace == true ? text : " " + text
        let ids = tokenizer.encode(spaced).ids
        guard let first = ids.first else { throw .emptyTarget }
        guard ids.count > 1 else { return TargetToken(id: first, text: spaced, note: nil) }
        let pieces = ids.map { "\"\(tokenizer.decodePiece($0))\"" }.joined(separator: " ")
        return TargetToken(id: first, text: tokenizer.decodePiece(first),
                           note: "the target \"\(spaced)\" is \(ids.count) tokens (\(pieces)); following its first token \"\(tokenizer.decodePiece(first))\" (id \(first))")
    }

    /// The target with a known id (e.g. the model's top next token).
    public static func id(_ id: Int, tokenizer: Tokenizer, vocabulary: Int) throws(ProjectionError) -> TargetToken {
        guard id >= 0, id < vocabulary else { throw .targetOutOfRange(id: id, vocabulary: vocabulary) }
        return TargetToken(id: id, text: tokenizer.decodePiece(id), note: nil)
    }
}
