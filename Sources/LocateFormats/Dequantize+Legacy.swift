// Legacy 32-value blocks (GGUF.md §3). In every 4- and 5-bit block the LOW nibbles of
// qs[0..15] are elements 0…15 and the HIGH nibbles are elements 16…31 (not interleaved).

extension Dequantize {
    /// Q4_0, 18 bytes: `f16 d | qs[16]`; `y = d · (n − 8)`.
    ///
    ///     byte 0      2                                  18
    ///          [ d  ][ qs: lo nibble = y[j], hi = y[j+16] ]
    public static func q4_0(_ blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(blocks, output, .q4_0)
        guard n > 0, let src = blocks.baseAddress, let dst = output.baseAddress else { return }
        for b in 0..<n {
            let block = src + b * 18
            let out = dst + b * 32
            let d = half(block, 0)
            for j in 0..<16 {
                let q = byte(block, 2 + j)
                out[j] = Float(Int32(q & 0x0F) - 8) * d
                out[j + 16] = Float(Int32(q >> 4) - 8) * d
            }
        }
    }

    /// Q4_1, 20 bytes: `f16 d | f16 m | qs[16]`; `y = d · n + m`.
    public static func q4_1(_ blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(blocks, output, .q4_1)
        guard n > 0, let src = blocks.baseAddress, let dst = output.baseAddress else { return }
        for b in 0..<n {
            let block = src + b * 20
            let out = dst + b * 32
            let d = half(block, 0)
            let m = half(block, 2)
            for j in 0..<16 {
                let q = byte(block, 4 + j)
                out[j] = Float(q & 0x0F) * d + m
                out[j + 16] = Float(q >> 4) * d + m
            }
        }
    }

    /// Q5_0, 22 bytes: `f16 d | u32 qh | qs[16]`; `n = nibble | bit j of qh << 4`, `y = d · (n − 16)`.
    /// `qh` is unaligned inside the block.
    public static func q5_0(_ blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(blocks, output, .q5_0)
        guard n > 0, let src = blocks.baseAddress, let dst = output.baseAddress else { return }
        for b in 0..<n {
            let block = src + b * 22
            let out = dst + b * 32
            let d = half(block, 0)
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            for j in 0..<16 {
                let q = UInt32(byte(block, 6 + j))
                let high0 = ((qh >> UInt32(j)) << 4) & 0x10
                let high1 = (qh >> UInt32(j + 12)) & 0x10
                out[j] = Float(Int32(bitPattern: (q & 0x0F) | high0) - 16) * d
                out[j + 16] = Float(Int32(bitPattern: (q >> 4) | high1) - 16) * d
            }
        }
    }

    /// Q5_1, 24 bytes: `f16 d | f16 m | u32 qh | qs[16]`; `y = d · n + m`.
    public static func q5_1(_ blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(blocks, output, .q5_1)
        guard n > 0, let src = blocks.baseAddress, let dst = output.baseAddress else { return }
        for b in 0..<n {
            let block = src + b * 24
            let out = dst + b * 32
            let d = half(block, 0)
            let m = half(block, 2)
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            for j in 0..<16 {
                let q = UInt32(byte(block, 8 + j))
                let high0 = ((qh >> UInt32(j)) << 4) & 0x10
                let high1 = (qh >> UInt32(j + 12)) & 0x10
                out[j] = Float((q & 0x0F) | high0) * d + m
                out[j + 16] = Float((q >> 4) | high1) * d + m
            }
        }
    }

    /// Q8_0, 34 bytes: `f16 d | i8 qs[32]`; `y = d · q`.
    public static func q8_0(_ blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(blocks, output, .q8_0)
        guard n > 0, let src = blocks.baseAddress, let dst = output.baseAddress else { return }
        for b in 0..<n {
            let block = src + b * 34
            let out = dst + b * 32
            let d = half(block, 0)
            for j in 0..<32 {
                out[j] = Float(Int8(bitPattern: byte(block, 2 + j))) * d
            }
        }
    }
}
