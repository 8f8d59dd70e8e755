import Foundation
import Testing
import LocateFormats
import TestSupport

@Suite("GGUF builder and reader round trips")
struct GGUFBuilderTests {
    /// The 192-byte file of GGUF.md §1.7, which gguf-py accepts.
    static func workedExample() -> GGUFBuilder {
        var b = GGUFBuilder()
        b.set("general.architecture", .string("llama"))
        b.set("general.alignment", .uint32(32))
        b.addTensor("w", shape: [2, 4], f32: [0, 1, 2, 3, 4, 5, 6, 7])
        return b
    }

    /// Guards against a builder that drifts from the GGUF layout (field order, widths, padding):
    /// the worked example must come out byte for byte, and the reader must read it back.
    @Test func workedExampleByteForByte() throws {
        let bytes = Self.workedExample().build()
        var expected: [UInt8] = [0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0]
        expected += [1, 0, 0, 0, 0, 0, 0, 0] + [2, 0, 0, 0, 0, 0, 0, 0]
        expected += [20, 0, 0, 0, 0, 0, 0, 0] + Array("general.architecture".utf8) + [8, 0, 0, 0]
        expected += [5, 0, 0, 0, 0, 0, 0, 0] + Array("llama".utf8)
        #expect(expected.count == 69)
        expected += [17, 0, 0, 0, 0, 0, 0, 0] + Array("general.alignment".utf8) + [4, 0, 0, 0] + [32, 0, 0, 0]
        #expect(expected.count == 102)
        expected += [1, 0, 0, 0, 0, 0, 0, 0] + Array("w".utf8) + [2, 0, 0, 0]
        expected += [4, 0, 0, 0, 0, 0, 0, 0] + [2, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0]
        #expect(expected.count == 143)
        expected += [UInt8](repeating: 0, count: 17)
        for v in 0..<8 { expected += withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { Array($0) } }
        #expect(bytes.count == 192)
        #expect(bytes == expected)

        let file = try GGUFFile(bytes: bytes)
        #expect(file.version == 3 && file.dataStart == 160 && file.alignment == 32)
        #expect(file.metadataKeys == ["general.architecture", "general.alignment"])
        let w = try #require(file.tensor(named: "w"))
        #expect(w.shape == [2, 4] && w.ne == [4, 2] && w.type == .f32 && w.offset == 0)
        #expect(try file.dequantize(w) == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(try file.dequantizeRows(w, rows: 1..<2) == [4, 5, 6, 7])
    }

    /// Guards against a value type read with the wrong width, sign or encoding: every GGUF value
    /// type, arrays of strings and nested arrays must read back equal and in file order.
    @Test func everyValueTypeRoundTrips() throws {
        let values: [(String, GGUFValue)] = [
            ("t.u8", .uint8(200)), ("t.i8", .int8(-100)), ("t.u16", .uint16(65000)), ("t.i16", .int16(-30000)),
            ("t.u32", .uint32(4_000_000_000)), ("t.i32", .int32(-2_000_000_000)), ("t.f32", .float32(-1.5e-5)),
            ("t.bool", .bool(true)), ("t.false", .bool(false)), ("t.string", .string("héllo ✓")),
            ("t.u64", .uint64(.max)), ("t.i64", .int64(.min)), ("t.f64", .float64(.pi)),
            ("t.strings", .array([.string("Ġ t"), .string(""), .string("<|im_end|>")])),
            ("t.ints", .array([.int32(1), .int32(-3)])),
            ("t.nested", .array([.array([.uint8(1), .uint8(2)]), .array([]), .array([.uint8(3)])])),
            ("t.nested_strings", .array([.array([.string("a")]), .array([.string("b"), .string("c")])])),
            ("t.empty", .array([])),
        ]
        var b = GGUFBuilder()
        for (key, value) in values { b.set(key, value) }
        let file = try GGUFFile(bytes: b.build())
        #expect(file.metadataKeys == values.map(\.0))
        for (key, value) in values { #expect(file.metadata[key] == value, "\(key)") }
        #expect(file.tensors.isEmpty)
        #expect(try file.int("t.u32") == 4_000_000_000 && file.int("t.i8") == -100)
        #expect(try file.float("t.f32") == Double(Float(-1.5e-5)))
        #expect(try file.stringArray("t.strings") == ["Ġ t", "", "<|im_end|>"])
        #expect(try file.intArray("t.ints") == [1, -3])
        #expect(try file.bool("t.bool") && file.string("t.string") == "héllo ✓")
    }

    /// Guards against typed getters that return a default instead of saying which key is wrong.
    @Test func typedGettersNameTheKey() throws {
        var b = GGUFBuilder()
        b.set("a.string", .string("x"))
        b.set("a.big", .uint64(.max))
        let file = try GGUFFile(bytes: b.build())
        #expect(throws: GGUFError.missingKey("a.absent")) { try file.int("a.absent") }
        #expect(throws: GGUFError.wrongType(key: "a.string", expected: "an integer", found: "STRING")) { try file.int("a.string") }
        #expect { try file.int("a.big") } throws: { ($0 as? GGUFError)?.code == "invalidValue" }
        #expect { try file.stringArray("a.string") } throws: { ($0 as? GGUFError)?.code == "wrongType" }
        #expect(GGUFError.missingKey("a.absent").description.contains("'a.absent'"))
    }

    /// Guards against tensor data placed at the wrong offset or decoded in the wrong order:
    /// F32, F16, BF16, Q8_0 and Q4_1 tensors, padded to 32 bytes, read back in numpy order.
    @Test func tensorsOfEachWrittenTypeRoundTrip() throws {
        let values = (0..<128).map { Float($0 - 60) / 16 }
        var b = GGUFBuilder()
        b.addTensor("a", shape: [3], f32: [1, 2, 3])
        b.addTensor("b", shape: [2, 64], f16: values)
        b.addTensor("c", shape: [4, 32], bf16: values)
        b.addTensor("d", shape: [2, 64], q8_0: values)
        b.addTensor("e", shape: [1, 2, 64], q4_1: values)
        let file = try GGUFFile(bytes: b.build())
        #expect(file.tensors.map(\.name) == ["a", "b", "c", "d", "e"])
        #expect(file.tensors.allSatisfy { $0.offset % 32 == 0 })
        #expect(try file.dequantize(file.tensors[0]) == [1, 2, 3])
        #expect(try file.dequantize(file.tensors[1]) == values)    // multiples of 1/16 are exact in f16
        #expect(try file.dequantize(file.tensors[2]) == values)    // and in bf16
        let q8 = try file.dequantize(file.tensors[3])
        let q4 = try file.dequantize(file.tensors[4])
        #expect(zip(q8, values).allSatisfy { abs($0 - $1) <= 0.02 })
        #expect(zip(q4, values).allSatisfy { abs($0 - $1) <= 0.07 })
        #expect(file.tensors[4].shape == [1, 2, 64] && file.tensors[4].rowCount == 2)
        #expect(try file.dequantizeRows(file.tensors[4], rows: 1..<2) == Array(q4[64...]))
        #expect(file.tensors[3].byteCount == 4 * 34)
    }

    /// Guards against a `ModelConfig` whose keys the builder and the reader spell differently.
    @Test func modelConfigRoundTrips() throws {
        let config = ModelConfig(blockCount: 2, embeddingLength: 16, feedForwardLength: 32, headCount: 4,
                                 headCountKV: 2, ropeFreqBase: 100_000, vocabSize: 11, contextLength: 64)
        var b = GGUFBuilder()
        b.set(config: config)
        b.addTensor("token_embd.weight", shape: [11, 16], f32: [Float](repeating: 0, count: 176))
        let file = try GGUFFile(bytes: b.build())
        #expect(try ModelConfig(gguf: file) == config)
        #expect(config.headDim == 4 && config.ropeDimensionCount == 4 && config.tiedEmbeddings)

        b.addTensor("output.weight", shape: [11, 16], f32: [Float](repeating: 0, count: 176))
        #expect(try ModelConfig(gguf: GGUFFile(bytes: b.build())).tiedEmbeddings == false)
    }

    /// Guards against defaults that silently differ from llama.cpp's: head_count_kv absent means
    /// head_count, vocab from the token list, rope base 10000.
    @Test func modelConfigDefaults() throws {
        var b = GGUFBuilder()
        b.set("general.architecture", .string("llama"))
        for (key, value) in [("block_count", 2), ("context_length", 32), ("embedding_length", 8),
                             ("feed_forward_length", 16), ("attention.head_count", 2)] {
            b.set("llama.\(key)", .uint64(UInt64(value)))
        }
        b.set("llama.attention.layer_norm_rms_epsilon", .float32(1e-6))
        b.set("tokenizer.ggml.tokens", .array((0..<7).map { .string("t\($0)") }))
        let config = try ModelConfig(gguf: GGUFFile(bytes: b.build()))
        #expect(config.headCountKV == 2 && config.headDim == 4 && config.vocabSize == 7)
        #expect(config.ropeFreqBase == 10_000 && config.rmsNormEpsilon == 1e-6 && config.ropeDimensionCount == 4)
    }

    /// Guards against a ModelConfig that invents a missing hyperparameter instead of naming it.
    @Test func modelConfigMissingKeyIsNamed() throws {
        var b = GGUFBuilder()
        b.set(config: ModelConfig(blockCount: 2, embeddingLength: 8, feedForwardLength: 16, headCount: 2, vocabSize: 5))
        b.pairs.removeAll { $0.key == Array("llama.block_count".utf8) }
        let file = try GGUFFile(bytes: b.build())
        #expect(throws: GGUFError.missingKey("llama.block_count")) { try ModelConfig(gguf: file) }

        var c = GGUFBuilder()
        c.set(config: ModelConfig(blockCount: 2, embeddingLength: 8, feedForwardLength: 16, headCount: 2,
                                  headCountKV: 3, vocabSize: 5))
        #expect { try ModelConfig(gguf: GGUFFile(bytes: c.build())) } throws: {
            ($0 as? GGUFError) == .invalidValue(key: "llama.attention.head_count_kv", value: "3", reason: "it must divide head_count 2")
        }
    }

    /// Guards against `write(to:)` and the memory-mapped reader disagreeing with `build()`.
    @Test func writeAndMap() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-builder-\(UInt32.random(in: 0...UInt32.max)).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.workedExample().write(to: url)
        let file = try GGUFFile(contentsOf: url)
        #expect(file.fileSize == 192 && file.name == url.path)
        #expect(try file.dequantize(file.tensors[0]) == [0, 1, 2, 3, 4, 5, 6, 7])
    }

    /// Guards against a tensor info from another file being read with this file's bytes.
    @Test func foreignTensorInfoIsRejected() throws {
        var other = Self.workedExample()
        other.addTensor("x", shape: [8], f32: [Float](repeating: 1, count: 8))
        let a = try GGUFFile(bytes: Self.workedExample().build())
        let b = try GGUFFile(bytes: other.build())
        #expect(throws: GGUFError.tensorNotInFile("x")) { try a.dequantize(b.tensors[1]) }
        #expect(throws: GGUFError.rowsOutOfRange(tensor: "w", rows: 1..<3, rowCount: 2)) {
            try a.dequantizeRows(a.tensors[0], rows: 1..<3)
        }
    }
}
