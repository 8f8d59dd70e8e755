import LocateCore
import LocateFormats
import LocateModel
import LocateTokenizer

/// A tiny random llama built in memory: the fixture for gradient and forward-pass tests that must
/// not depend on the 135M model file.
///
/// Legend: L layers, D width, H heads, Hkv key/value heads, Dh = D / H, F MLP width, V = 256
/// byte tokens. Matrices are N(0, 0.2²) so activations stay O(1); norm weights are 1 + N(0, 0.1²).
/// Embeddings are tied, RoPE pairs are adjacent (llama as stored in GGUF), base 10000, eps 1e-5.
public enum TinyModel {
    /// Standard deviation of every matrix entry.
    public static let weightStd = 0.2

    /// - Parameters:
    ///   - seed: seeds the GSL MT19937 stream the weights are drawn from, in the order embedding,
    ///     then per layer attnNorm, q, k, v, o, ffnNorm, gate, up, down, then finalNorm.
    /// - Returns: a `Transformer` with a byte-level tokenizer (token id = byte value).
    public static func make(seed: UInt64, layers: Int = 2, width: Int = 32, heads: Int = 4, kvHeads: Int = 2,
                     ffn: Int = 48, vocab: Int = 256, context: Int = 64) -> Transformer {
        let config = ModelConfig(blockCount: layers, embeddingLength: width, feedForwardLength: ffn, headCount: heads,
                                 headCountKV: kvHeads, vocabSize: vocab, contextLength: context)
        let d = width, dh = config.headDim
        let rng = RandomSource(seed: seed)
        func matrix(_ rows: Int, _ columns: Int) -> [Float] { rng.gaussians(count: rows * columns, std: weightStd) }
        func norm() -> [Float] { rng.gaussians(count: d, std: 0.1).map { 1 + $0 } }

        let embedding = matrix(vocab, d)                       // [V, D]
        var blocks: [LayerWeights] = []
        for _ in 0..<layers {
            blocks.append(LayerWeights(
                attnNorm: norm(),                              // [D]
                q: matrix(heads * dh, d),                      // [H·Dh, D]
                k: matrix(kvHeads * dh, d),                    // [Hkv·Dh, D]
                v: matrix(kvHeads * dh, d),                    // [Hkv·Dh, D]
                o: matrix(d, heads * dh),                      // [D, H·Dh]
                ffnNorm: norm(),                               // [D]
                gate: matrix(ffn, d),                          // [F, D]
                up: matrix(ffn, d),                            // [F, D]
                down: matrix(d, ffn)))                         // [D, F]
        }
        let weights = ModelWeights(embedding: embedding, layers: blocks, finalNorm: norm(), output: embedding)
        return Transformer(config: config, architecture: .llama, weights: weights, tokenizer: byteTokenizer(vocab: vocab),
                           source: "tiny-llama(seed: \(seed))")
    }

    /// A tokenizer whose token i is byte i (no merges), so any byte string encodes.
    public static func byteTokenizer(vocab: Int) -> Tokenizer {
        precondition(vocab >= 256, "a byte tokenizer needs 256 tokens, the vocabulary has \(vocab)")
        let bytes = (0..<256).map { ByteEncoder.encode([UInt8($0)]) }
        let extra = (256..<vocab).map { "<extra_\($0)>" }
        do {
            return try Tokenizer(tokens: bytes + extra, merges: [], tokenTypes: [Int](repeating: 1, count: vocab), preTokenizer: .gpt2)
        } catch {
            preconditionFailure("the byte tokenizer is well formed: \(error)")
        }
    }

    /// `count` random token ids in [0, vocab) from a seeded stream.
    public static func tokens(count: Int, seed: UInt64, vocab: Int = 256) -> [Int] {
        let rng = RandomSource(seed: seed)
        return (0..<count).map { _ in min(vocab - 1, Int(rng.uniform() * Double(vocab))) }
    }
}
