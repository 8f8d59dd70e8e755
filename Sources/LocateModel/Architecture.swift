import LocateCore

/// What differs between model families, in one place. The layer loop reads these fields and
/// never asks which family it runs.
public struct Architecture: Sendable, Equatable {
    public enum Norm: Sendable, Equatable { case rms }
    public enum MLP: Sendable, Equatable { case swiglu }

    public var name: String
    public var norm: Norm
    public var mlp: MLP
    public var ropePairing: RoPE.Pairing
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

    /// llama as stored in GGUF: RMSNorm, SwiGLU, Q/K rows permuted by the converter so RoPE
    /// rotates adjacent pairs.
    public static let llama = Architecture(name: "llama", norm: .rms, mlp: .swiglu, ropePairing: .adjacent, tensorNames: TensorNames())

    public static func named(_ name: String) throws(ModelError) -> Architecture {
        switch name {
        case "llama": return .llama
        default: throw .unsupportedArchitecture(name)
        }
    }
}
