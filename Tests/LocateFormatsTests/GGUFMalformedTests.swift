import Foundation
import Testing
import LocateFormats
import TestSupport

/// Parses `bytes` and returns the typed error, recording an issue when parsing succeeds.
private func parseError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> GGUFError? {
    do {
        _ = try GGUFFile(bytes: bytes)
        Issue.record("the malformed file parsed", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.description.contains("HINT"), sourceLocation: sourceLocation)
        return error
    }
}

/// `bytes` with the little-endian `value` written at `offset`.
private func patched<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, _ value: T) -> [UInt8] {
    var out = bytes
    out.replaceSubrange(offset..<offset + MemoryLayout<T>.size, with: GGUFBuilder.bytes(value))
    return out
}

/// A builder with one tensor `w` of the given raw ne, type id and data, after one metadata pair.
private func tensorFile(ne: [UInt64], typeID: UInt32 = GGMLType.f32.rawValue, data: [UInt8] = [],
                        name: String = "w", offset: UInt64? = nil) -> GGUFBuilder {
    var b = GGUFBuilder()
    b.set("general.architecture", .string("llama"))
    b.tensors.append(.init(name: Array(name.utf8), ne: ne, typeID: typeID, data: data, offsetOverride: offset))
    return b
}

@Suite("Malformed GGUF files are rejected with a typed error")
struct GGUFMalformedTests {
    /// A valid file with metadata of several types and tensors of three types; its last tensor
    /// ends exactly at the end of the file (no trailing padding), so every prefix is invalid.
    static func richFile() -> [UInt8] {
        var b = GGUFBuilder()
        b.set("general.architecture", .string("llama"))
        b.set("general.alignment", .uint32(32))
        b.set("x.flag", .bool(true))
        b.set("x.tokens", .array([.string("a"), .string("Ġb")]))
        b.set("x.nested", .array([.array([.int16(-1)]), .array([.float64(2)])]))
        b.set("x.f", .float32(0.5))
        b.addTensor("q", shape: [1, 32], q8_0: (0..<32).map { Float($0) })
        b.addTensor("h", shape: [2, 8], f16: (0..<16).map { Float($0) })
        b.addTensor("w", shape: [2, 4], f32: [0, 1, 2, 3, 4, 5, 6, 7])
        return b.build()
    }

    /// Guards against a reader that trusts a length and reads past a short file: every prefix
    /// of a valid file must be rejected with a typed error, never a trap.
    @Test func truncationAtEveryByte() throws {
        let bytes = Self.richFile()
        let file = try GGUFFile(bytes: bytes)
        #expect(file.dataStart + file.tensors[2].offset + 32 == bytes.count)
        var codes: [String: Int] = [:]
        for length in 0..<bytes.count {
            do {
                _ = try GGUFFile(bytes: Array(bytes[0..<length]))
                Issue.record("a \(length)-byte prefix parsed")
            } catch {
                codes[error.code, default: 0] += 1
            }
        }
        #expect(Set(codes.keys).isSubset(of: ["truncated", "absurdCount", "tensorDataOutOfBounds"]), "\(codes)")
        var one = GGUFBuilder()
        one.set("general.architecture", .string("llama"))
        let cut = Array(one.build().prefix(66))
        #expect(parseError(cut) == .truncated(field: "value of 'general.architecture'", offset: 56))
    }

    /// Guards against reading something that is not GGUF (a safetensors file, say) as if it were.
    @Test func badMagic() {
        var bytes = Self.richFile()
        bytes[3] = 0x58
        #expect(parseError(bytes) == .badMagic(found: Array("GGUX".utf8)))
        #expect(parseError([0x7B, 0x22]) == .badMagic(found: [0x7B, 0x22]))
        #expect(parseError([]) == .truncated(field: "magic", offset: 0))
    }

    /// Guards against reading GGUF v1 (32-bit counts) or a future version with the v3 layout.
    @Test func unsupportedVersions() {
        let bytes = Self.richFile()
        for version: UInt32 in [0, 1, 4, 0xFFFF] {
            #expect(parseError(patched(bytes, at: 4, version)) == .unsupportedVersion(version))
        }
        #expect(throws: Never.self) { try GGUFFile(bytes: patched(bytes, at: 4, UInt32(2))) }
    }

    /// Guards against reading a big-endian file's numbers byte-swapped (gguf-py's heuristic).
    @Test func bigEndianIsRejected() {
        let bytes = patched(Self.richFile(), at: 4, UInt32(3).byteSwapped)
        #expect(parseError(bytes) == .bigEndian(versionBits: 0x0300_0000))
    }

    /// Guards against allocating for, or looping over, a tensor count no file could hold.
    @Test func absurdTensorCount() {
        let error = parseError(patched(Self.richFile(), at: 8, UInt64(1) << 60))
        guard case .absurdCount(let field, let count, let offset, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(field == "tensor_count" && count == 1 << 60 && offset == 8)
    }

    /// Guards against allocating for, or looping over, a metadata count no file could hold.
    @Test func absurdMetadataCount() {
        let error = parseError(patched(Self.richFile(), at: 16, UInt64.max))
        guard case .absurdCount(let field, _, let offset, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(field == "metadata_kv_count" && offset == 16)
    }

    /// Guards against a string length that points past the end of the file.
    @Test func stringLengthPastEnd() {
        // The first key's length field is at 24.
        #expect(parseError(patched(Self.richFile(), at: 24, UInt64(1) << 40)) == .truncated(field: "metadata key #0", offset: 24))
        var b = GGUFBuilder()
        b.appendRaw(key: Array("k".utf8), typeID: 8, payload: GGUFBuilder.bytes(UInt64(100)) + Array("abc".utf8))
        #expect(parseError(b.build()) == .truncated(field: "value of 'k'", offset: 37))
    }

    /// Guards against an array count that claims more elements than the bytes could hold.
    @Test func arrayCountPastEnd() {
        var b = GGUFBuilder()
        b.appendRaw(key: Array("k".utf8), typeID: 9, payload: GGUFBuilder.bytes(UInt32(8)) + GGUFBuilder.bytes(UInt64(1) << 40))
        let error = parseError(b.build())
        guard case .absurdCount(let field, let count, let offset, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(field == "array length of 'k'" && count == 1 << 40 && offset == 41)
    }

    /// Guards against tensors with no dimensions or more than ggml's four.
    @Test func dimensionCountOutOfRange() {
        #expect(parseError(tensorFile(ne: []).build())?.code == "invalidDimensionCount")
        let error = parseError(tensorFile(ne: [1, 1, 1, 1, 1], data: [0, 0, 0, 0]).build())
        guard case .invalidDimensionCount(let tensor, let count, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(tensor == "w" && count == 5)
    }

    /// Guards against a dimension that is negative when read as ggml's signed `int64_t`.
    @Test func negativeDimension() {
        let error = parseError(tensorFile(ne: [4, UInt64(Int64.max) + 1]).build())
        guard case .invalidDimension(let tensor, let index, let value, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(tensor == "w" && index == 1 && value == UInt64(Int64.max) + 1)
    }

    /// Guards against rejecting empty tensors, which ggml allows (`ne >= 0`).
    @Test func zeroDimensionIsAllowed() throws {
        let file = try GGUFFile(bytes: tensorFile(ne: [4, 0]).build())
        #expect(file.tensors[0].elementCount == 0 && file.tensors[0].byteCount == 0)
        #expect(try file.dequantize(file.tensors[0]).isEmpty)
    }

    /// Guards against an element count or byte size that wraps around and passes the bounds check.
    @Test func elementCountOverflow() {
        #expect(parseError(tensorFile(ne: [1 << 32, 1 << 32]).build())?.code == "elementCountOverflow")
        // 2^62 elements fit in Int, 2^64 bytes do not.
        #expect(parseError(tensorFile(ne: [1 << 62]).build())?.code == "elementCountOverflow")
    }

    /// Guards against quantized rows that end in the middle of a block.
    @Test func rowNotMultipleOfBlockSize() {
        let error = parseError(tensorFile(ne: [48, 2], typeID: GGMLType.q8_0.rawValue).build())
        guard case .rowNotMultipleOfBlock(let tensor, let ne0, let type, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(tensor == "w" && ne0 == 48 && type == .q8_0)
    }

    /// Guards against treating IQ*/TQ* or unknown type ids as something else; the error names the type.
    @Test func unsupportedTensorTypes() {
        for (id, name) in [(UInt32(16), "IQ2_XXS"), (34, "TQ1_0"), (9, "Q8_1"), (15, "Q8_K"), (99, "type 99")] {
            let error = parseError(tensorFile(ne: [256], typeID: id).build())
            guard case .unsupportedTensorType(let tensor, let typeID, _)? = error else { Issue.record("\(String(describing: error))"); continue }
            #expect(tensor == "w" && typeID == id)
            #expect(error?.description.contains(name) == true)
        }
    }

    /// Guards against a second value silently replacing the first for the same key.
    @Test func duplicateMetadataKey() {
        var b = GGUFBuilder()
        b.append("general.name", .string("a"))
        b.append("general.name", .string("b"))
        // The second key starts after 24 + (8 + 12 + 4 + 8 + 1) bytes.
        #expect(parseError(b.build()) == .duplicateKey("general.name", offset: 57))
    }

    /// Guards against a second tensor silently shadowing the first of the same name.
    @Test func duplicateTensorName() {
        var b = GGUFBuilder()
        b.addTensor("w", shape: [8], f32: [Float](repeating: 0, count: 8))
        b.addTensor("w", shape: [8], f32: [Float](repeating: 1, count: 8))
        #expect(parseError(b.build())?.code == "duplicateTensor")
    }

    /// Guards against alignment values that make `align()` meaningless (0, non powers of two, strings).
    @Test func alignmentNotPowerOfTwo() throws {
        for value: GGUFValue in [.uint32(24), .uint32(0), .int32(-32), .string("32")] {
            var b = GGUFBuilder()
            b.set("general.alignment", value)
            b.alignmentOverride = 32
            #expect(parseError(b.build()) == .badAlignment(value: "\(value)", offset: 53))
        }
        var ok = GGUFBuilder()
        ok.set("general.alignment", .uint64(64))
        ok.addTensor("w", shape: [3], f32: [1, 2, 3])
        #expect(try GGUFFile(bytes: ok.build()).dataStart % 64 == 0)
    }

    /// Guards against reading tensors at offsets that are not multiples of the alignment.
    @Test func misalignedTensorOffset() {
        let b = tensorFile(ne: [8], data: [UInt8](repeating: 0, count: 32), offset: 4)
        let error = parseError(b.build())
        guard case .misalignedTensor(let tensor, let dataOffset, let alignment, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(tensor == "w" && dataOffset == 4 && alignment == 32)
    }

    /// Guards against tensor data that runs past the end of the file (a cut download), including
    /// offsets so large that `dataStart + offset` would overflow.
    @Test func tensorDataPastEnd() {
        let far = tensorFile(ne: [8], data: [UInt8](repeating: 0, count: 32), offset: 1024).build()
        guard case .tensorDataOutOfBounds(let tensor, _, let byteCount, let fileSize)? = parseError(far) else {
            Issue.record("expected tensorDataOutOfBounds"); return
        }
        #expect(tensor == "w" && byteCount == 32 && fileSize == far.count)
        let huge = tensorFile(ne: [8], data: [UInt8](repeating: 0, count: 32), offset: UInt64.max - 31).build()
        #expect(parseError(huge)?.code == "tensorDataOutOfBounds")
        let short = Array(tensorFile(ne: [8], data: [UInt8](repeating: 0, count: 32)).build().dropLast(1))
        #expect(parseError(short)?.code == "tensorDataOutOfBounds")
    }

    /// Guards against BOOL bytes other than 0 and 1 being read as true.
    @Test func invalidBoolByte() {
        var b = GGUFBuilder()
        b.appendRaw(key: Array("flag".utf8), typeID: 7, payload: [2])
        #expect(parseError(b.build()) == .invalidBool(key: "flag", byte: 2, offset: 40))
    }

    /// Guards against keys and tensor names that are not UTF-8, while token strings stay lenient.
    @Test func invalidUTF8() throws {
        var b = GGUFBuilder()
        b.appendRaw(key: [0x61, 0xFF, 0x62], typeID: 4, payload: [1, 0, 0, 0])
        #expect(parseError(b.build()) == .invalidUTF8(field: "metadata key #0", offset: 24))

        var t = GGUFBuilder()
        t.tensors.append(.init(name: [0xC3, 0x28], ne: [1], typeID: 0, data: [0, 0, 0, 0], offsetOverride: nil))
        #expect(parseError(t.build()) == .invalidUTF8(field: "name of tensor info #0", offset: 24))

        var lenient = GGUFBuilder()
        lenient.appendRaw(key: Array("tokens".utf8), typeID: 9,
                          payload: GGUFBuilder.bytes(UInt32(8)) + GGUFBuilder.bytes(UInt64(1)) + GGUFBuilder.bytes(UInt64(2)) + [0xE2, 0x82])
        let file = try GGUFFile(bytes: lenient.build())
        #expect(try file.stringArray("tokens") == ["\u{FFFD}"])
    }

    /// Guards against value type ids outside GGUF's 0…12, for values and array elements.
    @Test func unknownValueType() {
        var b = GGUFBuilder()
        b.appendRaw(key: Array("k".utf8), typeID: 13, payload: [0])
        #expect(parseError(b.build()) == .unknownValueType(key: "k", typeID: 13, offset: 33))
        var a = GGUFBuilder()
        a.appendRaw(key: Array("k".utf8), typeID: 9, payload: GGUFBuilder.bytes(UInt32(77)) + GGUFBuilder.bytes(UInt64(0)))
        #expect(parseError(a.build()) == .unknownValueType(key: "k", typeID: 77, offset: 37))
    }

    /// Guards against unbounded recursion (a stack overflow) on deeply nested arrays.
    @Test func nestingTooDeep() throws {
        func nested(_ depth: Int) -> GGUFValue {
            depth == 1 ? .array([.uint8(1)]) : .array([nested(depth - 1)])
        }
        var ok = GGUFBuilder()
        ok.set("k", nested(GGUFFile.maximumArrayDepth))
        #expect(try GGUFFile(bytes: ok.build()).metadata["k"] == nested(GGUFFile.maximumArrayDepth))
        var deep = GGUFBuilder()
        deep.set("k", nested(GGUFFile.maximumArrayDepth + 1))
        #expect(parseError(deep.build())?.code == "nestingTooDeep")
    }

    /// Guards against tensor names longer than ggml accepts (`GGML_MAX_NAME` = 64 with the NUL).
    @Test func tensorNameTooLong() throws {
        let long = String(repeating: "n", count: 64)
        #expect(parseError(tensorFile(ne: [1], data: [0, 0, 0, 0], name: long).build()) == .tensorNameTooLong(long, offset: 69))
        let fits = String(repeating: "n", count: 63)
        #expect(try GGUFFile(bytes: tensorFile(ne: [1], data: [0, 0, 0, 0], name: fits).build()).tensors[0].name == fits)
    }

    /// Guards against a missing or unreadable path crashing instead of naming the path.
    @Test func cannotOpen() {
        let missing = URL(fileURLWithPath: "/nonexistent/model.gguf")
        #expect { try GGUFFile(contentsOf: missing) } throws: { ($0 as? GGUFError)?.code == "cannotOpen" }
        #expect { try GGUFFile(contentsOf: URL(fileURLWithPath: "/tmp")) } throws: {
            ($0 as? GGUFError) == .cannotOpen(path: "/tmp", reason: "not a regular file")
        }
    }
}
