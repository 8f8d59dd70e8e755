import Foundation
import Testing
import LocateCore
import LocateFormats
import TestSupport

/// The default model (SmolLM2-135M-Instruct, Q4_1 GGUF), opened once for the whole suite.
enum RealModel {
    static let loaded = Result { () throws(GGUFError) -> GGUFFile in try GGUFFile(contentsOf: Fixtures.defaultModel) }

    /// The model, or a failure telling how to fetch it.
    static func file(sourceLocation: SourceLocation = #_sourceLocation) throws -> GGUFFile {
        let path = Fixtures.defaultModel.path
        try #require(FileManager.default.fileExists(atPath: path),
                     "the default model is missing at \(path); run the setup (.ci/run) to fetch SmolLM2-135M-Instruct.Q4_1.gguf, or set LOCATE_MODEL",
                     sourceLocation: sourceLocation)
        return try loaded.get()
    }
}

@Suite("The real model: SmolLM2-135M-Instruct Q4_1")
struct RealModelTests {
    /// Guards against a reader that misplaces the data section or miscounts tensors on a real
    /// file (e.g. by mis-reading one of its 33 metadata values, 49 152 tokens and 48 900 merges).
    @Test func structure() throws {
        let file = try RealModel.file()
        #expect(file.version == 3)
        #expect(file.fileSize == 98_362_432)
        #expect(file.tensors.count == 272)
        #expect(file.metadataKeys.count == 33 && file.metadataKeys.first == "general.architecture")
        #expect(file.alignment == 32 && file.dataStart == 1_785_664)
        #expect(try file.stringArray("tokenizer.ggml.tokens").count == 49152)
        #expect(try file.stringArray("tokenizer.ggml.merges").count == 48900)
        #expect(try file.intArray("tokenizer.ggml.token_type").count == 49152)
        #expect(try file.string("tokenizer.ggml.model") == "gpt2" && file.string("tokenizer.ggml.pre") == "smollm")
        #expect(try file.bool("tokenizer.ggml.add_bos_token") == false)
        #expect(try file.int("general.file_type") == 3)

        let embed = try #require(file.tensor(named: "token_embd.weight"))
        #expect(embed.type == .q8_0 && embed.shape == [49152, 576] && embed.ne == [576, 49152] && embed.offset == 0)
        for block in 0..<30 {
            let down = try #require(file.tensor(named: "blk.\(block).ffn_down.weight"))
            #expect(down.type == .q4_1 && down.shape == [576, 1536])
            let k = try #require(file.tensor(named: "blk.\(block).attn_k.weight"))
            #expect(k.type == .q4_1 && k.shape == [192, 576])
        }
        let norms = file.tensors.filter { $0.name.hasSuffix("norm.weight") }
        #expect(norms.count == 61 && norms.allSatisfy { $0.type == .f32 && $0.shape == [576] })
        let counts = Dictionary(grouping: file.tensors, by: \.type).mapValues(\.count)
        #expect(counts == [.q4_1: 210, .f32: 61, .q8_0: 1])
        #expect(file.tensor(named: "output.weight") == nil)
    }

    /// Guards against hyperparameters read from the wrong key, with the wrong default, or with
    /// a u32 not widened: every field of the config must match the model card.
    @Test func modelConfig() throws {
        let config = try ModelConfig(gguf: RealModel.file())
        let expected = ModelConfig(architecture: "llama", blockCount: 30, embeddingLength: 576, feedForwardLength: 1536,
                                   headCount: 9, headCountKV: 3, headDim: 64, ropeFreqBase: 100_000, ropeDimensionCount: 64,
                                   rmsNormEpsilon: 1e-5, vocabSize: 49152, contextLength: 8192, tiedEmbeddings: true)
        #expect(config == expected)
        #expect(config.rmsNormEpsilon == Float(9.999999747378752e-06))
    }

    /// Guards against any difference (one ulp is enough) between our Q8_0 embedding rows and the
    /// embedding output of the PyTorch reference (`resid[0]` of prompt p00).
    @Test func embeddingRowsMatchReference() throws {
        let file = try RealModel.file()
        let embed = try #require(file.tensor(named: "token_embd.weight"))
        let reference = try Fixtures.npy("forward/p00_resid.npy")
        #expect(reference.shape == [31, 5, 576])
        let expected = Array(reference.floats[0..<5 * 576])
        var rows: [Float] = []
        for id in [504, 3575, 282, 4649, 314] {
            rows += try file.dequantizeRows(embed, rows: id..<id + 1)
        }
        #expect(rows.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// A row of a Q4_1 tensor as gguf-py 0.19.0 dequantizes it.
    struct ReferenceRow: Sendable, CustomTestStringConvertible {
        let tensor: String
        let row: Int
        let head: [Float]
        let sum: Double
        var testDescription: String { "\(tensor)[\(row)]" }
    }

    /// Made with gguf-py 0.19.0 (numpy 2.4.6): `GGUFReader(model)`, then
    /// `d = gguf.quants.dequantize(t.data, t.tensor_type)`; `head = d[row][:8]`,
    /// `sum = float(d[row].astype(np.float64).sum())`.
    static let q4_1Rows: [ReferenceRow] = [
        ReferenceRow(tensor: "blk.0.ffn_down.weight", row: 0,
                     head: [-0.330810546875, 0.3460693359375, 0.0753173828125, -0.4661865234375,
                            -0.06005859375, -0.330810546875, 0.0753173828125, 0.210693359375],
                     sum: -17.089996337890625),
        ReferenceRow(tensor: "blk.0.ffn_down.weight", row: 575,
                     head: [-0.04022216796875, -0.14361572265625, -0.117767333984375, 0.192413330078125,
                            -0.117767333984375, 0.1148681640625, 0.06317138671875, 0.1148681640625],
                     sum: 1.4561767578125),
        ReferenceRow(tensor: "blk.29.attn_q.weight", row: 300,
                     head: [-0.28515625, 0.310394287109375, 0.032470703125, -0.1263427734375,
                            0.072174072265625, -0.007232666015625, -0.166046142578125, -0.20574951171875],
                     sum: 0.0767822265625),
        ReferenceRow(tensor: "blk.10.ffn_gate.weight", row: 1000,
                     head: [0.2991943359375, -0.0904541015625, 0.0556640625, 0.153076171875,
                            0.25048828125, 0.0556640625, 0.1043701171875, -0.2852783203125],
                     sum: 7.5211181640625),
        ReferenceRow(tensor: "blk.10.ffn_gate.weight", row: 1535,
                     head: [0.036773681640625, -0.293731689453125, -0.12847900390625, 0.036773681640625,
                            0.146942138671875, 0.367279052734375, 0.257110595703125, -0.018310546875],
                     sum: 0.806182861328125),
    ]

    /// Guards against a Q4_1 nibble-order, offset or rounding mistake on real weights: rows must
    /// equal gguf-py's exactly (first 8 values and the float64 sum of the whole row).
    @Test(arguments: q4_1Rows)
    func q4_1RowsMatchGGUFPy(_ reference: ReferenceRow) throws {
        let file = try RealModel.file()
        let tensor = try #require(file.tensor(named: reference.tensor))
        let row = try file.dequantizeRows(tensor, rows: reference.row..<reference.row + 1)
        #expect(row.count == tensor.shape[1])
        #expect(Array(row.prefix(8)) == reference.head)
        #expect(row.reduce(0.0) { $0 + Double($1) } == reference.sum)
    }

    /// Guards against whole-tensor dequantization disagreeing with row-wise dequantization or
    /// with gguf-py (float64 sums of a Q4_1 and an F32 tensor, made as for `q4_1Rows`).
    @Test func wholeTensorSums() throws {
        let file = try RealModel.file()
        let down = try #require(file.tensor(named: "blk.0.ffn_down.weight"))
        let all = try file.dequantize(down)
        #expect(all.count == 576 * 1536)
        #expect(all.reduce(0.0) { $0 + Double($1) } == 150.63577270507812)
        #expect(Array(all[(17 * 1536)..<(18 * 1536)]) == (try file.dequantizeRows(down, rows: 17..<18)))
        let k = try #require(file.tensor(named: "blk.5.attn_k.weight"))
        #expect(try file.dequantize(k).reduce(0.0) { $0 + Double($1) } == -57.14201354980469)
        let norm = try #require(file.tensor(named: "output_norm.weight"))
        #expect(try file.dequantize(norm).reduce(0.0) { $0 + Double($1) } == 1038.33203125)
    }
}
