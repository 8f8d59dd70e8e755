import Foundation

extension Tokenizer {
    /// The pre-tokenizer configurations ``init(tokenizerJSON:bosTokenID:eosTokenID:addBOS:)`` accepts.
    public static let supportedJSONPreTokenizers = [
        "ByteLevel(add_prefix_space=false, use_regex=true)",
        "Sequence[Digits(individual_digits=true), ByteLevel(add_prefix_space=false, use_regex=true)]",
    ]

    /// Builds a tokenizer from a Hugging Face `tokenizer.json`.
    ///
    /// Reads `model` (`type` "BPE", `vocab` as a token → id object, `merges` as `"a b"` strings or
    /// `["a", "b"]` pairs, `ignore_merges`), `added_tokens` (`special: true` → ``TokenType/control``,
    /// otherwise ``TokenType/userDefined``) and `pre_tokenizer` (see ``supportedJSONPreTokenizers``).
    /// BOS/EOS are not part of `tokenizer.json` (they live in `tokenizer_config.json`), so pass them.
    /// - Throws: ``TokenizerError/malformedTokenizerJSON(path:reason:)`` for unreadable or
    ///   malformed files; ``TokenizerError/unsupportedModel(_:)``,
    ///   ``TokenizerError/unsupportedPreTokenizer(_:supported:)`` and
    ///   ``TokenizerError/unsupportedSetting(_:)`` for settings that would change the ids
    ///   (a normalizer, dropout, byte fallback, subword affixes, stripping added tokens).
    public convenience init(
        tokenizerJSON url: URL, bosTokenID: Int? = nil, eosTokenID: Int? = nil, addBOS: Bool = false
    ) throws(TokenizerError) {
        let path = url.path
        func malformed(_ reason: String) -> TokenizerError { .malformedTokenizerJSON(path: path, reason: reason) }

        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw malformed("cannot read the file: \(error.localizedDescription)")
        }
        let file: HFTokenizerFile
        do { file = try JSONDecoder().decode(HFTokenizerFile.self, from: data) } catch let error as DecodingError {
            throw malformed(Self.explain(error))
        } catch {
            throw malformed("not valid JSON (\(error))")
        }
        let model = file.model
        let modelType = model.type ?? "BPE"
        guard modelType == "BPE" else { throw .unsupportedModel(modelType) }
        try Self.rejectUnsupportedSettings(model)
        if let normalizer = file.normalizer, !normalizer.isNull {
            throw .unsupportedSetting("normalizer \(normalizer)")
        }
        let kind = try Self.preTokenizerKind(file.preTokenizer ?? .null)
        let (tokens, types) = try Self.vocabulary(file, malformed: malformed)

        var pairs: [(String, String)] = []
        switch model.merges {
        case .strings(let merges):
            pairs.reserveCapacity(merges.count)
            for (rank, merge) in merges.enumerated() { pairs.append(try MergeTable.parse(merge, rank: rank)) }
        case .pairs(let merges):
            pairs.reserveCapacity(merges.count)
            for (rank, merge) in merges.enumerated() {
                guard merge.count == 2 else {
                    throw malformed("model.merges[\(rank)] has \(merge.count) strings; a merge pair needs 2")
                }
                pairs.append((merge[0], merge[1]))
            }
        }
        try self.init(tokens: tokens, mergePairs: pairs, tokenTypes: types, preTokenizer: kind,
                      bosTokenID: bosTokenID, eosTokenID: eosTokenID, addBOS: addBOS,
                      ignoreMerges: model.ignoreMerges ?? false)
    }

    /// The id-ordered token strings and types from `model.vocab` and `added_tokens`.
    private static func vocabulary(
        _ file: HFTokenizerFile, malformed: (String) -> TokenizerError
    ) throws(TokenizerError) -> ([String], [Int]) {
        var byID: [Int: String] = [:]
        byID.reserveCapacity(file.model.vocab.count)
        for (token, id) in file.model.vocab {
            guard id >= 0 else { throw malformed("model.vocab[\(token.debugDescription)] has the negative id \(id)") }
            if let other = byID[id] {
                throw malformed("id \(id) is given to both \(other.debugDescription) and \(token.debugDescription)")
            }
            byID[id] = token
        }
        var specialTypes: [Int: TokenType] = [:]
        for (index, added) in (file.addedTokens ?? []).enumerated() {
            guard added.id >= 0 else { throw malformed("added_tokens[\(index)] has the negative id \(added.id)") }
            for (flag, value) in [("lstrip", added.lstrip), ("rstrip", added.rstrip), ("single_word", added.singleWord)]
            where value == true {
                throw .unsupportedSetting("added token \(added.content.debugDescription) has \(flag) = true")
            }
            if let existing = byID[added.id], existing != added.content {
                throw malformed("added token \(added.content.debugDescription) has id \(added.id), "
                                + "which model.vocab gives to \(existing.debugDescription)")
            }
            byID[added.id] = added.content
            specialTypes[added.id] = added.special == true ? .control : .userDefined
        }
        guard let maxID = byID.keys.max() else { throw .emptyVocabulary }
        var tokens: [String] = []
        tokens.reserveCapacity(maxID + 1)
        for id in 0...maxID {
            guard let token = byID[id] else {
                throw malformed("no token has id \(id); ids must run from 0 to \(maxID) without gaps")
            }
            tokens.append(token)
        }
        return (tokens, (0...maxID).map { (specialTypes[$0] ?? .normal).rawValue })
    }

    private static func rejectUnsupportedSettings(_ model: HFTokenizerFile.Model) throws(TokenizerError) {
        if let dropout = model.dropout, dropout > 0 {
            throw .unsupportedSetting("model.dropout = \(dropout) (BPE dropout is random)")
        }
        if model.byteFallback == true { throw .unsupportedSetting("model.byte_fallback = true") }
        for (key, value) in [("continuing_subword_prefix", model.continuingSubwordPrefix),
                             ("end_of_word_suffix", model.endOfWordSuffix)] {
            if let value, !value.isEmpty { throw .unsupportedSetting("model.\(key) = \(value.debugDescription)") }
        }
    }

    /// A readable account of a decoding failure: where in the file, and what was expected.
    private static func explain(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            var text = ""
            for key in context.codingPath {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "the top level" : text
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "not valid JSON (\(context.debugDescription))"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "no \"\(key.stringValue)\" in \(parent == "the top level" ? "the top-level object" : parent)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)) has the wrong type: \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Maps the `pre_tokenizer` JSON to a kind, or throws naming the configuration.
    static func preTokenizerKind(_ json: JSONValue) throws(TokenizerError) -> PreTokenizerKind {
        func isPlainByteLevel(_ step: JSONValue) -> Bool {
            step["type"]?.string == "ByteLevel" && step["add_prefix_space"]?.bool != true
                && step["use_regex"]?.bool != false
        }
        if isPlainByteLevel(json) { return .gpt2 }
        if json["type"]?.string == "Sequence", let steps = json["pretokenizers"]?.array, steps.count == 2,
           steps[0]["type"]?.string == "Digits", steps[0]["individual_digits"]?.bool == true,
           isPlainByteLevel(steps[1]) {
            return .smollm
        }
        throw .unsupportedPreTokenizer(json.description, supported: supportedJSONPreTokenizers)
    }
}

/// The parts of a Hugging Face `tokenizer.json` that byte-level BPE needs.
struct HFTokenizerFile: Decodable {
    struct Model: Decodable {
        var type: String?
        var vocab: [String: Int]
        var merges: Merges
        var ignoreMerges: Bool?
        var byteFallback: Bool?
        var dropout: Double?
        var continuingSubwordPrefix: String?
        var endOfWordSuffix: String?

        enum CodingKeys: String, CodingKey {
            case type, vocab, merges, dropout
            case ignoreMerges = "ignore_merges", byteFallback = "byte_fallback"
            case continuingSubwordPrefix = "continuing_subword_prefix", endOfWordSuffix = "end_of_word_suffix"
        }

        /// Reads `type` first, so that another model family (whose `vocab` has another shape) is
        /// reported as unsupported rather than as a type mismatch.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decodeIfPresent(String.self, forKey: .type)
            guard type == nil || type == "BPE" else {
                vocab = [:]
                merges = .strings([])
                return
            }
            vocab = try container.decode([String: Int].self, forKey: .vocab)
            merges = try container.decode(Merges.self, forKey: .merges)
            ignoreMerges = try container.decodeIfPresent(Bool.self, forKey: .ignoreMerges)
            byteFallback = try container.decodeIfPresent(Bool.self, forKey: .byteFallback)
            dropout = try container.decodeIfPresent(Double.self, forKey: .dropout)
            continuingSubwordPrefix = try container.decodeIfPresent(String.self, forKey: .continuingSubwordPrefix)
            endOfWordSuffix = try container.decodeIfPresent(String.self, forKey: .endOfWordSuffix)
        }
    }

    /// `model.merges`: legacy `"a b"` strings or, since tokenizers 0.20, `["a", "b"]` pairs.
    enum Merges: Decodable {
        case strings([String])
        case pairs([[String]])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let strings = try? container.decode([String].self) {
                self = .strings(strings)
            } else if let pairs = try? container.decode([[String]].self) {
                self = .pairs(pairs)
            } else {
                // Find the first bad element for the message (slow, only on error).
                let elements = try container.decode([JSONValue].self)
                let bad = elements.firstIndex { element in
                    element.string == nil && (element.array?.allSatisfy { $0.string != nil } != true)
                } ?? 0
                let shown = elements.indices.contains(bad) ? elements[bad].description : "?"
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "element \(bad) is neither \"a b\" nor [\"a\", \"b\"]: \(shown)")
            }
        }
    }

    struct AddedToken: Decodable {
        var id: Int
        var content: String
        var special: Bool?
        var lstrip: Bool?
        var rstrip: Bool?
        var singleWord: Bool?

        enum CodingKeys: String, CodingKey {
            case id, content, special, lstrip, rstrip
            case singleWord = "single_word"
        }
    }

    var model: Model
    var addedTokens: [AddedToken]?
    var normalizer: JSONValue?
    var preTokenizer: JSONValue?

    enum CodingKeys: String, CodingKey {
        case model, normalizer
        case addedTokens = "added_tokens", preTokenizer = "pre_tokenizer"
    }
}
