import Foundation
import LocateCore
import LocateFormats

/// The weights of one block, dequantized to float32 once at load. Matrices keep the GGUF and
/// PyTorch `[out][in]` row order, so a linear layer is `y = x · Wᵀ`.
public struct LayerWeights: Sendable {
    public var attnNorm: [Float]   // [D]
    public var q: [Float]          // [H·Dh, D]
    public var k: [Float]          // [Hkv·Dh, D]
    public var v: [Float]          // [Hkv·Dh, D]
    public var o: [Float]          // [D, H·Dh]
    public var ffnNorm: [Float]    // [D]
    public var gate: [Float]       // [F, D]   W_gate
    public var up: [Float]         // [F, D]   W_in
    public var down: [Float]       // [D, F]   W_out

    public init(attnNorm: [Float], q: [Float], k: [Float], v: [Float], o: [Float], ffnNorm: [Float],
                gate: [Float], up: [Float], down: [Float]) {
        self.attnNorm = attnNorm; self.q = q; self.k = k; self.v = v; self.o = o
        self.ffnNorm = ffnNorm; self.gate = gate; self.up = up; self.down = down
    }
}

public struct ModelWeights: Sendable {
    public var embedding: [Float]  // [V, D]   W_E
    public var layers: [LayerWeights]
    public var finalNorm: [Float]  // [D]
    public var output: [Float]     // [V, D]   W_U (the embedding itself when tied)

    public init(embedding: [Float], layers: [LayerWeights], finalNorm: [Float], output: [Float]) {
        self.embedding = embedding; self.layers = layers; self.finalNorm = finalNorm; self.output = output
    }
}

extension ModelWeights {
    /// Reads and dequantizes every weight, checking each tensor's shape against the config.
    public init(gguf: GGUFFile, config: ModelConfig, architecture: Architecture) throws(ModelError) {
        let names = architecture.tensorNames
        let d = config.embeddingLength, f = config.feedForwardLength
        let qWidth = config.headCount * config.headDim, kvWidth = config.headCountKV * config.headDim

        func load(_ template: String, _ layer: Int?, _ shape: [Int]) throws(ModelError) -> [Float] {
            let name = layer.map { template.replacingOccurrences(of: "{l}", with: String($0)) } ?? template
            guard let info = gguf.tensor(named: name) else { throw .missingWeight(name) }
            guard info.shape == shape else {
                throw .weightShape(name: name, shape: info.shape, expected: shape)
            }
            do { return try gguf.dequantize(info) } catch { throw .unreadableWeight(name: name, reason: "\(error)") }
        }

        embedding = try load(names.embedding, nil, [config.vocabSize, d])
        finalNorm = try load(names.finalNorm, nil, [d])
        output = gguf.tensor(named: names.output) == nil ? embedding : try load(names.output, nil, [config.vocabSize, d])
        var layers: [LayerWeights] = []
        for l in 0..<config.blockCount {
            layers.append(LayerWeights(
                attnNorm: try load(names.attnNorm, l, [d]),
                q: try load(names.q, l, [qWidth, d]),
                k: try load(names.k, l, [kvWidth, d]),
                v: try load(names.v, l, [kvWidth, d]),
                o: try load(names.o, l, [d, qWidth]),
                ffnNorm: try load(names.ffnNorm, l, [d]),
                gate: try load(names.gate, l, [f, d]),
                up: try load(names.up, l, [f, d]),
                down: try load(names.down, l, [d, f])))
        }
        self.layers = layers
    }
}
