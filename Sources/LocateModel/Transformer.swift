import Foundation
import LocateCore
import LocateFormats
import LocateTokenizer

/// A loaded model: configuration, float32 weights and tokenizer. Immutable; every run is a
/// function of its arguments and leaves nothing attached.
public final class Transformer: Sendable {
    public let config: ModelConfig
    public let architecture: Architecture
    public let weights: ModelWeights
    public let tokenizer: Tokenizer
    public let rope: RoPE
    /// Where the weights came from (a file path), for sidecars and messages.
    public let source: String

    public init(config: ModelConfig, architecture: Architecture, weights: ModelWeights, tokenizer: Tokenizer, source: String) {
        self.config = config
        self.architecture = architecture
        self.weights = weights
        self.tokenizer = tokenizer
        self.source = source
        self.rope = RoPE(headDim: config.headDim, base: config.ropeFreqBase, pairing: architecture.ropePairing)
    }

    /// Loads a GGUF model file (read-only, memory-mapped; the file is never modified).
    public convenience init(contentsOf url: URL) throws {
        let gguf = try GGUFFile(contentsOf: url)
        let config = try ModelConfig(gguf: gguf)
        let architecture = try Architecture.named(config.architecture)
        let weights = try ModelWeights(gguf: gguf, config: config, architecture: architecture)
        let tokenizer = try Tokenizer(gguf: gguf)
        self.init(config: config, architecture: architecture, weights: weights, tokenizer: tokenizer, source: url.path)
    }

    public var layerCount: Int { config.blockCount }

    /// Tokenizes a prompt for a run: no BOS unless the model asks for one; refuses an empty
    /// prompt and one longer than the context.
    public func encode(_ prompt: String) throws(ModelError) -> [Int] {
        let ids = tokenizer.encode(prompt).ids
        guard !ids.isEmpty else { throw .emptyPrompt }
        let all = (tokenizer.addBOS ? [tokenizer.bosTokenID].compactMap { $0 } : []) + ids
        guard all.count <= config.contextLength else { throw .promptTooLong(tokens: all.count, context: config.contextLength) }
        return all
    }

    /// Parses a hook name against this model's layer count.
    public func hook(_ name: String) throws(ModelError) -> HookPoint {
        try HookPoint.parse(name, layers: layerCount)
    }

    /// Per-position width of a position-major site (the product of the trailing axes).
    public func width(of site: HookPoint.Site) -> Int {
        switch site {
        case .attnQ, .attnZ: return config.headCount * config.headDim
        case .attnK, .attnV: return config.headCountKV * config.headDim
        case .mlpPre, .mlpPreLinear, .mlpPost: return config.feedForwardLength
        case .logits: return config.vocabSize
        case .attnScores, .attnPattern: return config.headCount   // heads; × Tk per query
        default: return config.embeddingLength
        }
    }

    /// Trailing shape of a position-major site as recorded: [D], [F], [H, Dh], [Hkv, Dh], [V].
    func trailingShape(of site: HookPoint.Site) -> [Int] {
        switch site {
        case .attnQ, .attnZ: return [config.headCount, config.headDim]
        case .attnK, .attnV: return [config.headCountKV, config.headDim]
        default: return [width(of: site)]
        }
    }
}
