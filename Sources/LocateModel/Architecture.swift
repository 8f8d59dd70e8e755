import LocateCore

/// What differs between model families, in one place. The block engine reads these fields
/// through ``Architecture`` kernels (`Architecture+Kernels.swift`) and never asks which family
/// it runs. A second family (GPT-2: LayerNorm, GELU, learned positions, biases, fused QKV) is a
/// new value here, new cases of these enums with their kernels, and its tensors in the weights
/// (biases, a fused QKV split at load): not a change to the engines.
public struct Architecture: Sendable, Equatable {
    /// The normalization before attention, before the MLP and before the unembedding.
    public enum Norm: Sendable, Equatable {
        /// `x / sqrt(mean(x²) + eps) · g`, no bias (llama).
        case rms
    }
    /// The MLP's nonlinearity between its input and output projections.
    public enum MLP: Sendable, Equatable {
        /// `silu(W_gate h) · (W_in h)` (llama).
        case swiglu
    }
    /// How positions enter the model.
    public enum Positions: Sendable, Equatable {
        /// Rotary embeddings of queries and keys with the given pairing (llama).
        case rotary(RoPE.Pairing)
    }

    public var name: String
    public var norm: Norm
    public var mlp: MLP
    public var positions: Positions
    /// GGUF tensor names: `{l}` is replaced by the layer index.
    public var tensorNames: TensorNames

    public struct TensorNames: Sendable, Equatable {
        public var embedding = "token_embd.weight"
        public var output = "output.weight"
        public var finalNorm = "output_norm.weight"
        public var attnNorm = "blk.{l}.attn_norm.weight"
        public var q = "blk.{l}.attn_q.weight"
        public var k = "blk.{l}.attn_k.weight"
        public var v = "blk.{l}.attn_v.weight"
        public var o = "blk.{l}.attn_output.weight"
        public var ffnNorm = "blk.{l}.ffn_norm.weight"
        public var gate = "blk.{l}.ffn_gate.weight"
        public var up = "blk.{l}.ffn_up.weight"
        public var down = "blk.{l}.ffn_down.weight"
    }

    /// The RoPE pairing when positions are rotary.
    public var ropePairing: RoPE.Pairing {
        switch positions { case .rotary(let pairing): pairing }
    }

    /// llama as stored in GGUF: RMSNorm, SwiGLU, Q/K rows permuted by the converter so RoPE
    /// rotates adjacent pairs.
    public static let llama = Architecture(name: "llama", norm: .rms, mlp: .swiglu, positions: .rotary(.adjacent), tensorNames: TensorNames())

    public static func named(_ name: String) throws(ModelError) -> Architecture {
        switch name {
        case "llama": return .llama
        default: throw .unsupportedArchitecture(name)
        }
    }
}
