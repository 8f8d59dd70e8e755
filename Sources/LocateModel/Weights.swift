import Foundation
import LocateCore
import LocateFormats

/// The weights of one block, dequantized to float32 once at load. Matrices keep the GGUF and
/// PyTorch `[out][in]` row order, so a linear layer is `y = x · Wᵀ`.
///
/// Matrices read from Q4_1 or Q8_0 tensors also keep their GGUF blocks (``blocks``), which the
/// forward products read in place of the float32 copy; changing a matrix drops its blocks, so an
/// edited weight is always multiplied as edited.
public struct LayerWeights: Sendable {
    public var attnNorm: [Float]   // [D]
    public var q: [Float] { didSet { blocks.q = nil } }          // [H·Dh, D]
    public var k: [Float] { didSet { blocks.k = nil } }          // [Hkv·Dh, D]
    public var v: [Float] { didSet { blocks.v = nil } }          // [Hkv·Dh, D]
    public var o: [Float] { didSet { blocks.o = nil } }          // [D, H·Dh]
    public var ffnNorm: [Float]    // [D]
    public var gate: [Float] { didSet { blocks.gate = nil } }    // [F, D]   W_gate
    public var up: [Float] { didSet { blocks.up = nil } }        // [F, D]   W_in
    public var down: [Float] { didSet { blocks.down = nil } }    // [D, F]   W_out
    /// The GGUF blocks of the matrices above, while they equal the float32 values.
    public var blocks = LayerBlocks()

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
    public var output: [Float] { didSet { outputBlocks = nil } }  // [V, D]   W_U (the embedding itself when tied)
    /// The GGUF blocks of ``output``, while they equal its float32 values.
    public var outputBlocks: BlockMatrix?

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

        func info(_ template: String, _ layer: Int?, _ shape: [Int]) throws(ModelError) -> GGUFTensorInfo {
            let name = layer.map { template.replacingOccurrences(of: "{l}", with: String($0)) } ?? template
            guard let info = gguf.tensor(named: name) else { throw .missingWeight(name) }
            guard info.shape == shape else {
                throw .weightShape(name: name, shape: info.shape, expected: shape)
            }
            return info
        }
        func load(_ template: String, _ layer: Int?, _ shape: [Int]) throws(ModelError) -> [Float] {
            let tensor = try info(template, layer, shape)
            do { return try gguf.dequantize(tensor) } catch { throw .unreadableWeight(name: tensor.name, reason: "\(error)") }
        }
        func blocks(_ template: String, _ layer: Int?, _ shape: [Int]) throws(ModelError) -> BlockMatrix? {
            let tensor = try info(template, layer, shape)
            do { return try gguf.blockMatrix(tensor) } catch { throw .unreadableWeight(name: tensor.name, reason: "\(error)") }
        }

        embedding = try load(names.embedding, nil, [config.vocabSize, d])
        finalNorm = try load(names.finalNorm, nil, [d])
        let outputName = gguf.tensor(named: names.output) == nil ? names.embedding : names.output
        output = outputName == names.embedding ? embedding : try load(outputName, nil, [config.vocabSize, d])
        outputBlocks = try blocks(outputName, nil, [config.vocabSize, d])
        var layers: [LayerWeights] = []
        for l in 0..<config.blockCount {
            var layer = LayerWeights(
                attnNorm: try load(names.attnNorm, l, [d]),
                q: try load(names.q, l, [qWidth, d]),
                k: try load(names.k, l, [kvWidth, d]),
                v: try load(names.v, l, [kvWidth, d]),
                o: try load(names.o, l, [d, qWidth]),
                ffnNorm: try load(names.ffnNorm, l, [d]),
                gate: try load(names.gate, l, [f, d]),
                up: try load(names.up, l, [f, d]),
                down: try load(names.down, l, [d, f]))
            layer.blocks = LayerBlocks(
                q: try blocks(names.q, l, [qWidth, d]), k: try blocks(names.k, l, [kvWidth, d]),
                v: try blocks(names.v, l, [kvWidth, d]), o: try blocks(names.o, l, [d, qWidth]),
                gate: try blocks(names.gate, l, [f, d]), up: try blocks(names.up, l, [f, d]),
                down: try blocks(names.down, l, [d, f]))
            layers.append(layer)
        }
        self.layers = layers
    }
}

/// The GGUF blocks of one block's matrices (`nil` where the tensor is of another type or the
/// float32 matrix was changed).
public struct LayerBlocks: Sendable {
    public var q, k, v, o, gate, up, down: BlockMatrix?

    public init(q: BlockMatrix? = nil, k: BlockMatrix? = nil, v: BlockMatrix? = nil, o: BlockMatrix? = nil,
                gate: BlockMatrix? = nil, up: BlockMatrix? = nil, down: BlockMatrix? = nil) {
        self.q = q; self.k = k; self.v = v; self.o = o; self.gate = gate; self.up = up; self.down = down
    }
}

extension ModelWeights {
    /// The same weights with every product on the float32 copies (the blocks dropped).
    public func droppingBlocks() -> ModelWeights {
        var copy = self
        copy.outputBlocks = nil
        for l in copy.layers.indices { copy.layers[l].blocks = LayerBlocks() }
        return copy
    }
}
