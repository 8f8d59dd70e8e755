/// A byte-level BPE tokenizer (GPT-2 family; the default model's SmolLM2 tokenizer).
///
/// Immutable after construction and safe to share across tasks. Build one from GGUF metadata
/// (``init(gguf:)``), a Hugging Face `tokenizer.json` (``init(tokenizerJSON:bosTokenID:eosTokenID:addBOS:)``)
/// or plain arrays (``init(tokens:merges:tokenTypes:preTokenizer:bosTokenID:eosTokenID:addBOS:)``).
///
/// Pipeline of ``encode(_:parseSpecial:)``: optional special-token matching → pre-tokenizer
/// (``PreTokenizerKind``) → UTF-8 bytes of each word mapped to byte symbols (``ByteEncoder``) →
/// lowest-rank-first merges → ids, with the UTF-8 byte range of every token.
public final class Tokenizer: Sendable {
    /// The pre-tokenizer that cuts text into words.
    public let preTokenizer: PreTokenizerKind
    /// Beginning-of-sequence token id, if the vocabulary names one.
    public let bosTokenID: Int?
    /// End-of-sequence token id, if the vocabulary names one.
    public let eosTokenID: Int?
    /// Whether the model expects ``bosTokenID`` before every prompt (GGUF `tokenizer.ggml.add_bos_token`).
    /// ``encode(_:parseSpecial:)`` never adds it: prepend it yourself when this is true.
    public let addBOS: Bool
    /// HF `ignore_merges`: a word that is itself a vocabulary entry becomes that one token without merging.
    public let ignoreMerges: Bool

    let tokens: [String]
    let tokenTypes: [TokenType]
    /// The bytes each token stands for: byte-level tokens through the inverse byte table; special
    /// tokens, and tokens with a scalar outside the table, as their UTF-8 text (as HF's ByteLevel
    /// decoder does).
    let tokenBytes: [[UInt8]]
    /// Token string → id. Keyed by `String`, whose equality is canonical equivalence; that equals
    /// byte equality for byte-level tokens (all scalars < U+0144, which are in NFC), and
    /// ``id(for:)`` double-checks bytes for anything else.
    let idsByToken: [String: Int]
    let mergeTable: MergeTable
    /// The id of the single-symbol token of each byte; -1 where the vocabulary has none.
    let byteTokenIDs: [Int32]
    /// The bytes that have no token (e.g. SmolLM2 lacks 0x04, 0x06, 0x13, 0x14, 0x16, 0x1D and the
    /// bytes that never occur in UTF-8). ``encode(_:parseSpecial:)`` drops them.
    public let bytesWithoutToken: [UInt8]
    /// Control and user-defined tokens, grouped by first UTF-8 byte, longest first within a group.
    let specialTokensByFirstByte: [[SpecialToken]]
    let scanner: PreTokenizerScanner
    let cache = WordCache()

    struct SpecialToken: Sendable {
        let id: Int
        let bytes: [UInt8]
    }

    /// Builds a tokenizer from GGUF-style arrays; merges are `"left right"` strings.
    ///
    /// - Parameters:
    ///   - tokens: the vocabulary in byte-level form (`Ġ` for a space), indexed by id.
    ///   - merges: merge rules in rank order, each two tokens separated by one space.
    ///   - tokenTypes: one ``TokenType`` raw value per token (3 control, 4 user-defined are special).
    /// - Throws: ``TokenizerError`` when the arrays are inconsistent (see ``init(tokens:mergePairs:tokenTypes:preTokenizer:bosTokenID:eosTokenID:addBOS:ignoreMerges:)``)
    ///   or a merge string is malformed.
    public convenience init(
        tokens: [String], merges: [String], tokenTypes: [Int], preTokenizer: PreTokenizerKind,
        bosTokenID: Int? = nil, eosTokenID: Int? = nil, addBOS: Bool = false
    ) throws(TokenizerError) {
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() { pairs.append(try MergeTable.parse(merge, rank: rank)) }
        try self.init(
            tokens: tokens, mergePairs: pairs, tokenTypes: tokenTypes, preTokenizer: preTokenizer,
            bosTokenID: bosTokenID, eosTokenID: eosTokenID, addBOS: addBOS)
    }

    /// Builds a tokenizer from a vocabulary and merge rules given as (left, right) pairs in rank order.
    ///
    /// When a token string occurs twice, ``id(for:)`` returns the last id (as llama.cpp and the
    /// transformers GGUF converter do).
    /// - Throws: ``TokenizerError`` if the vocabulary is empty, `tokenTypes` does not match it, a
    ///   type is outside 0…6, a merge names or produces a token outside the
    ///   vocabulary, BOS/EOS ids are out of range, or `addBOS` is set without a BOS id.
    public init(
        tokens: [String], mergePairs: [(String, String)], tokenTypes: [Int], preTokenizer: PreTokenizerKind,
        bosTokenID: Int? = nil, eosTokenID: Int? = nil, addBOS: Bool = false, ignoreMerges: Bool = false
    ) throws(TokenizerError) {
        guard !tokens.isEmpty else { throw .emptyVocabulary }
        guard tokenTypes.count == tokens.count else {
            throw .tokenTypeCountMismatch(tokens: tokens.count, tokenTypes: tokenTypes.count)
        }
        var types: [TokenType] = []
        types.reserveCapacity(tokens.count)
        for (id, raw) in tokenTypes.enumerated() {
            guard let type = TokenType(rawValue: raw) else { throw .invalidTokenType(id: id, type: raw) }
            types.append(type)
        }
        for (role, id) in [("BOS", bosTokenID), ("EOS", eosTokenID)] {
            if let id, !(0..<tokens.count).contains(id) {
                throw .invalidTokenID(role: role, id: id, vocabularySize: tokens.count)
            }
        }
        if addBOS && bosTokenID == nil {
            throw .invalidValue(key: "add_bos_token", reason: "it is true but no BOS token id is given")
        }

        var index: [String: Int] = [:]
        index.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() { index[token] = id }

        let byteIDs = ByteEncoder.scalars.map { Int32(index[String($0)] ?? -1) }

        var table = MergeTable()
        for (rank, (left, right)) in mergePairs.enumerated() {
            let merged = left + right
            var ids: [Int] = []
            for part in [left, right, merged] {
                guard let id = index[part] else {
                    throw .mergeTokenNotInVocabulary(rank: rank, merge: "\(left) \(right)", token: part)
                }
                ids.append(id)
            }
            table.add(left: ids[0], right: ids[1], result: ids[2], rank: rank)
        }

        var bytes: [[UInt8]] = []
        bytes.reserveCapacity(tokens.count)
        var specialGroups = [[SpecialToken]](repeating: [], count: 256)
        for (id, token) in tokens.enumerated() {
            if types[id].isSpecial {
                let utf8 = Array(token.utf8)
                bytes.append(utf8)
                if let first = utf8.first { specialGroups[Int(first)].append(SpecialToken(id: id, bytes: utf8)) }
            } else {
                bytes.append(ByteEncoder.decode(token) ?? Array(token.utf8))
            }
        }
        for i in specialGroups.indices {
            specialGroups[i].sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        }

        self.tokens = tokens
        self.tokenTypes = types
        self.tokenBytes = bytes
        self.idsByToken = index
        self.mergeTable = table
        self.byteTokenIDs = byteIDs
        self.bytesWithoutToken = (0...255).filter { byteIDs[$0] < 0 }.map { UInt8($0) }
        self.specialTokensByFirstByte = specialGroups
        self.preTokenizer = preTokenizer
        self.scanner = PreTokenizerScanner(kind: preTokenizer)
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.addBOS = addBOS
        self.ignoreMerges = ignoreMerges
    }

    /// Number of tokens in the vocabulary (ids are `0..<vocabularySize`).
    public var vocabularySize: Int { tokens.count }

    /// Number of distinct merge rules.
    public var mergeCount: Int { mergeTable.count }

    /// The id of a vocabulary string in byte-level form (e.g. `"Ġthe"`), compared byte for byte.
    public func id(for token: String) -> Int? {
        guard let id = idsByToken[token] else { return nil }
        if tokens[id].utf8.elementsEqual(token.utf8) { return id }
        // Canonically equivalent but different bytes (e.g. "é" vs "e\u{301}"): find the exact entry.
        return tokens.lastIndex { $0.utf8.elementsEqual(token.utf8) }
    }

    /// The vocabulary string of an id (byte-level form, e.g. `"Ġthe"`), or nil outside the vocabulary.
    public func token(for id: Int) -> String? { tokens.indices.contains(id) ? tokens[id] : nil }

    /// The type of an id, or nil outside the vocabulary.
    public func tokenType(for id: Int) -> TokenType? { tokenTypes.indices.contains(id) ? tokenTypes[id] : nil }

    /// The raw bytes an id stands for, or nil outside the vocabulary.
    public func bytes(for id: Int) -> [UInt8]? { tokenBytes.indices.contains(id) ? tokenBytes[id] : nil }

    /// Whether an id is a control or user-defined token.
    public func isSpecial(_ id: Int) -> Bool { tokenType(for: id)?.isSpecial ?? false }
}
