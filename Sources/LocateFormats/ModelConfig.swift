/// The hyperparameters of a decoder-only transformer, read from GGUF metadata (GGUF.md §6).
///
/// Legend: D = ``embeddingLength``, F = ``feedForwardLength``, H = ``headCount``,
/// Hkv = ``headCountKV``, Dh = ``headDim``, V = ``vocabSize``, L = ``blockCount``.
///
/// From a GGUF file, with `[arch]` the value of `general.architecture`:
///
/// | field | key | when absent |
/// | --- | --- | --- |
/// | architecture | `general.architecture` | error |
/// | blockCount | `[arch].block_count` | error |
/// | contextLength | `[arch].context_length` | error |
/// | embeddingLength | `[arch].embedding_length` | error |
/// | feedForwardLength | `[arch].feed_forward_length` | error |
/// | headCount | `[arch].attention.head_count` | error |
/// | headCountKV | `[arch].attention.head_count_kv` | headCount |
/// | headDim | `[arch].attention.key_length` | embeddingLength / headCount |
/// | ropeFreqBase | `[arch].rope.freq_base` | 10000 (llama.cpp's default) |
/// | ropeDimensionCount | `[arch].rope.dimension_count` | headDim |
/// | rmsNormEpsilon | `[arch].attention.layer_norm_rms_epsilon`, else `…layer_norm_epsilon` | error |
/// | vocabSize | `[arch].vocab_size`, else the length of `tokenizer.ggml.tokens` | error |
/// | tiedEmbeddings | no `output.weight` tensor | |
///
/// Integers of any width are accepted. SmolLM2-135M gives L 30, D 576, H 9, Hkv 3, Dh 64,
/// F 1536, V 49152, rope base 100000, eps 1e-5 (as f32), tied.
public struct ModelConfig: Sendable, Codable, Equatable {
    /// `general.architecture`, e.g. `llama`.
    public var architecture: String
    /// L: the number of transformer blocks.
    public var blockCount: Int
    /// D: the width of the residual stream.
    public var embeddingLength: Int
    /// F: the hidden width of the MLP.
    public var feedForwardLength: Int
    /// H: query heads.
    public var headCount: Int
    /// Hkv: key/value heads (grouped-query attention when below H).
    public var headCountKV: Int
    /// Dh: the width of one head.
    public var headDim: Int
    /// RoPE θ base.
    public var ropeFreqBase: Float
    /// How many dimensions of each head RoPE rotates.
    public var ropeDimensionCount: Int
    /// The ε of RMSNorm, as stored (f32).
    public var rmsNormEpsilon: Float
    /// V: the vocabulary size.
    public var vocabSize: Int
    /// The training context length.
    public var contextLength: Int
    /// True when the file has no `output.weight`, so the unembedding is `token_embd`.
    public var tiedEmbeddings: Bool

    enum CodingKeys: String, CodingKey {
        case architecture
        case blockCount = "block_count"
        case embeddingLength = "embedding_length"
        case feedForwardLength = "feed_forward_length"
        case headCount = "head_count"
        case headCountKV = "head_count_kv"
        case headDim = "head_dim"
        case ropeFreqBase = "rope_freq_base"
        case ropeDimensionCount = "rope_dimension_count"
        case rmsNormEpsilon = "rms_norm_epsilon"
        case vocabSize = "vocab_size"
        case contextLength = "context_length"
        case tiedEmbeddings = "tied_embeddings"
    }

    /// A configuration given directly (tiny test models). Optional values take the GGUF defaults.
    public init(architecture: String = "llama", blockCount: Int, embeddingLength: Int, feedForwardLength: Int,
                headCount: Int, headCountKV: Int? = nil, headDim: Int? = nil, ropeFreqBase: Float = 10_000,
                ropeDimensionCount: Int? = nil, rmsNormEpsilon: Float = 1e-5, vocabSize: Int,
                contextLength: Int = 2048, tiedEmbeddings: Bool = true) {
        self.architecture = architecture
        self.blockCount = blockCount
        self.embeddingLength = embeddingLength
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.headCountKV = headCountKV ?? headCount
        let dh = headDim ?? (headCount > 0 ? embeddingLength / headCount : 0)
        self.headDim = dh
        self.ropeFreqBase = ropeFreqBase
        self.ropeDimensionCount = ropeDimensionCount ?? dh
        self.rmsNormEpsilon = rmsNormEpsilon
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.tiedEmbeddings = tiedEmbeddings
    }

    /// Reads the configuration from a GGUF file's metadata (table above).
    ///
    /// - Throws: ``GGUFError/missingKey(_:)`` naming the first missing required key (e.g.
    ///   `llama.block_count`), ``GGUFError/wrongType(key:expected:found:)``, or
    ///   ``GGUFError/invalidValue(key:value:reason:)`` for zero, negative or inconsistent sizes.
    public init(gguf file: GGUFFile) throws(GGUFError) {
        let arch = try file.string("general.architecture")
        func positive(_ suffix: String) throws(GGUFError) -> Int {
            let key = "\(arch).\(suffix)"
            let value = try file.int(key)
            guard value > 0 else { throw .invalidValue(key: key, value: "\(value)", reason: "it must be positive") }
            return value
        }
        func optionalPositive(_ suffix: String) throws(GGUFError) -> Int? {
            guard file.metadata["\(arch).\(suffix)"] != nil else { return nil }
            return try positive(suffix)
        }

        architecture = arch
        blockCount = try positive("block_count")
        contextLength = try positive("context_length")
        embeddingLength = try positive("embedding_length")
        feedForwardLength = try positive("feed_forward_length")
        headCount = try positive("attention.head_count")
        headCountKV = try optionalPositive("attention.head_count_kv") ?? headCount
        guard headCount % headCountKV == 0 else {
            throw .invalidValue(key: "\(arch).attention.head_count_kv", value: "\(headCountKV)",
                                reason: "it must divide head_count \(headCount)")
        }
        if let dh = try optionalPositive("attention.key_length") {
            headDim = dh
        } else {
            guard embeddingLength % headCount == 0 else {
                throw .invalidValue(key: "\(arch).attention.head_count", value: "\(headCount)",
                                    reason: "it must divide embedding_length \(embeddingLength) when attention.key_length is absent")
            }
            headDim = embeddingLength / headCount
        }
        ropeDimensionCount = try optionalPositive("rope.dimension_count") ?? headDim
        ropeFreqBase = Float(try file.floatIfPresent("\(arch).rope.freq_base") ?? 10_000)

        let rmsKey = "\(arch).attention.layer_norm_rms_epsilon"
        let layerNormKey = "\(arch).attention.layer_norm_epsilon"
        if file.metadata[rmsKey] != nil {
            rmsNormEpsilon = Float(try file.float(rmsKey))
        } else if file.metadata[layerNormKey] != nil {
            rmsNormEpsilon = Float(try file.float(layerNormKey))
        } else {
            throw .missingKey(rmsKey)
        }

        if let v = try optionalPositive("vocab_size") {
            vocabSize = v
        } else if let tokens = file.metadata["tokenizer.ggml.tokens"]?.arrayValue, !tokens.isEmpty {
            vocabSize = tokens.count
        } else {
            throw .missingKey("\(arch).vocab_size")
        }
        tiedEmbeddings = file.tensor(named: "output.weight") == nil
    }

    /// The metadata pairs that describe this configuration, in the order `convert_hf_to_gguf.py`
    /// writes them; ``init(gguf:)`` reads them back to an equal value (with `tiedEmbeddings`
    /// following from the tensors).
    public var ggufMetadata: [(key: String, value: GGUFValue)] {
        let a = architecture
        return [
            ("general.architecture", .string(a)),
            ("\(a).block_count", .uint32(UInt32(clamping: blockCount))),
            ("\(a).context_length", .uint32(UInt32(clamping: contextLength))),
            ("\(a).embedding_length", .uint32(UInt32(clamping: embeddingLength))),
            ("\(a).feed_forward_length", .uint32(UInt32(clamping: feedForwardLength))),
            ("\(a).attention.head_count", .uint32(UInt32(clamping: headCount))),
            ("\(a).attention.head_count_kv", .uint32(UInt32(clamping: headCountKV))),
            ("\(a).attention.key_length", .uint32(UInt32(clamping: headDim))),
            ("\(a).attention.value_length", .uint32(UInt32(clamping: headDim))),
            ("\(a).rope.freq_base", .float32(ropeFreqBase)),
            ("\(a).attention.layer_norm_rms_epsilon", .float32(rmsNormEpsilon)),
            ("\(a).vocab_size", .uint32(UInt32(clamping: vocabSize))),
            ("\(a).rope.dimension_count", .uint32(UInt32(clamping: ropeDimensionCount))),
        ]
    }
}
