/// Dequantizers: one plain function per ggml type, turning whole blocks into `Float`s.
///
/// Each function takes the bytes of `n` consecutive blocks (`n * typeSize` bytes) and writes
/// `n * blockSize` values. The arithmetic follows ggml's scalar `dequantize_row_*`
/// (`ggml-quants.c`) operation for operation in `Float`, so results are bit-identical to ggml
/// and to gguf-py's `quants.dequantize` (no fused multiply-add: Swift does not contract).
/// Byte layouts are in GGUF.md §3–4 and in the comment above each function.
///
/// The functions trap (`precondition`) when the buffer sizes disagree: that is a programming
/// error, never a property of a file, because ``GGUFFile`` validates sizes when it opens.
public enum Dequantize {
    /// Dequantizes whole blocks of any supported type.
    ///
    /// - Parameters:
    ///   - type: The element type of `source`.
    ///   - source: `n * type.typeSize` bytes.
    ///   - output: Room for exactly `n * type.blockSize` values.
    public static func row(_ type: GGMLType, _ source: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        switch type {
        case .f32: f32(source, into: output)
        case .f16: f16(source, into: output)
        case .bf16: bf16(source, into: output)
        case .f64: f64(source, into: output)
        case .i8: integers(Int8.self, source, into: output)
        case .i16: integers(Int16.self, source, into: output)
        case .i32: integers(Int32.self, source, into: output)
        case .i64: integers(Int64.self, source, into: output)
        case .q4_0: q4_0(source, into: output)
        case .q4_1: q4_1(source, into: output)
        case .q5_0: q5_0(source, into: output)
        case .q5_1: q5_1(source, into: output)
        case .q8_0: q8_0(source, into: output)
        case .q2_K: q2_K(source, into: output)
        case .q3_K: q3_K(source, into: output)
        case .q4_K: q4_K(source, into: output)
        case .q5_K: q5_K(source, into: output)
        case .q6_K: q6_K(source, into: output)
        }
    }

    /// Dequantizes into a new array; a convenience over ``row(_:_:into:)`` for tests and tools.
    public static func row(_ type: GGMLType, _ source: [UInt8]) -> [Float] {
        let count = source.count / type.typeSize * type.blockSize
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            source.withUnsafeBytes { row(type, $0, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count])) }
            initialized = count
        }
    }

    /// Checks that `source` holds whole blocks and `output` their values; returns the block count.
    @inline(__always)
    static func blockCount(_ source: UnsafeRawBufferPointer, _ output: UnsafeMutableBufferPointer<Float>,
                           _ type: GGMLType) -> Int {
        let blocks = source.count / type.typeSize
        precondition(source.count % type.typeSize == 0 && blocks * type.blockSize == output.count,
                     "\(type.name): \(source.count) bytes are not \(output.count / max(type.blockSize, 1)) blocks of \(type.typeSize) bytes for \(output.count) values")
        return blocks
    }

    /// Reads the little-endian f16 at `offset` of `block` as `Float`.
    @inline(__always)
    static func half(_ block: UnsafeRawPointer, _ offset: Int) -> Float {
        Half.float(fromBits: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// Reads byte `offset` of `block`.
    @inline(__always)
    static func byte(_ block: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        block.load(fromByteOffset: offset, as: UInt8.self)
    }

    // MARK: - Plain types

    /// F32: a copy.
    public static func f32(_ source: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(source, output, .f32)
        guard n > 0, let src = source.baseAddress, let dst = output.baseAddress else { return }
        UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: n * 4)
    }

    /// F16: IEEE binary16, widened exactly.
    public static func f16(_ source: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(source, output, .f16)
        guard n > 0, let src = source.baseAddress, let dst = output.baseAddress else { return }
        for i in 0..<n { dst[i] = half(src, 2 * i) }
    }

    /// BF16: the top half of a binary32.
    public static func bf16(_ source: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(source, output, .bf16)
        guard n > 0, let src = source.baseAddress, let dst = output.baseAddress else { return }
        for i in 0..<n {
            dst[i] = Half.float(fromBF16Bits: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }

    /// F64: rounded to the nearest `Float`.
    public static func f64(_ source: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(source, output, .f64)
        guard n > 0, let src = source.baseAddress, let dst = output.baseAddress else { return }
        for i in 0..<n {
            dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
        }
    }

    /// I8, I16, I32, I64: converted to the nearest `Float`.
    static func integers<T: FixedWidthInteger & SignedInteger>(_: T.Type, _ source: UnsafeRawBufferPointer,
                                                               into output: UnsafeMutableBufferPointer<Float>) {
        let type: GGMLType = T.bitWidth == 8 ? .i8 : T.bitWidth == 16 ? .i16 : T.bitWidth == 32 ? .i32 : .i64
        let n = blockCount(source, output, type)
        guard n > 0, let src = source.baseAddress, let dst = output.baseAddress else { return }
        let width = MemoryLayout<T>.size
        for i in 0..<n {
            dst[i] = Float(T(littleEndian: src.loadUnaligned(fromByteOffset: width * i, as: T.self)))
        }
    }
}
