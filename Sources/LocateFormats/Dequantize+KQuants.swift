// K-quants: 256-value super-blocks with small per-sub-block scales (GGUF.md §4). To stay
// bit-identical with ggml, the sub-block factors are formed first (dl = d·sc, ml = dmin·mn)
// and each value is dl·q − ml, all in Float.

extension Dequantize {
    /// Q2_K, 84 bytes: `scales[16] | qs[64] | f16 d | f16 dmin`, 16 sub-blocks of 16.
    ///
    /// `scales[s]`: low nibble is the scale, high nibble the min. Each 128-value half owns 32
    /// bytes of `qs`; bit pair `j` (shift 2j) of those bytes holds values 32j…32j+31.
    /// `y = (d · sc) · n − (dmin · mn)`.
    public static func q2_K(_ blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(blocks, output, .q2_K)
        guard n > 0, let src = blocks.baseAddress, let dst = output.baseAddress else { return }
        for b in 0..<n {
            let block = src + b * 84
            let d = half(block, 80)
            let dmin = half(block, 82)
            var out = dst + b * 256
            var s = 0
            for half128 in 0..<2 {
                let qs = 16 + 32 * half128
                for pair in 0..<4 {
                    let shift = UInt8(2 * pair)
                    for part in 0..<2 {
                        let sc = byte(block, s)
                        s += 1
                        let dl = d * Float(sc & 0x0F)
                        let ml = dmin * Float(sc >> 4)
                        for l in 0..<16 {
                            out[l] = dl * Float((byte(block, qs + 16 * part + l) >> shift) & 3) - ml
                        }
                        out += 16
                    }
                }
            }
        }
    }

    /// Q3_K, 110 bytes: `hmask[32] | qs[64] | scales[12] | f16 d`, 16 sub-blocks of 16.
    ///
    /// Scale `s` (6 bits, stored +32): low 4 bits in nibble `s / 8` of byte `s % 8`, top 2 bits
    /// at shift `2·(s / 4)` of byte `8 + s % 4`. Low 2 bits of each code as in Q2_K; a CLEARED
    /// `hmask` bit subtracts 4. `y = (d · (sc − 32)) · q`.
    public static func q3_K(_ blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(blocks, output, .q3_K)
        guard n > 0, let src = blocks.baseAddress, let dst = output.baseAddress else { return }
        for b in 0..<n {
            let block = src + b * 110
            let d = half(block, 108)
            var out = dst + b * 256
            var s = 0
            var mask: UInt8 = 1
            for half128 in 0..<2 {
                let qs = 32 + 32 * half128
                for pair in 0..<4 {
                    let shift = UInt8(2 * pair)
                    for part in 0..<2 {
                        let low4 = s < 8 ? byte(block, 96 + s) & 0x0F : byte(block, 96 + s - 8) >> 4
                        let high2 = (byte(block, 96 + 8 + s % 4) >> UInt8(2 * (s / 4))) & 3
                        s += 1
                        let dl = d * Float(Int32(low4 | high2 << 4) - 32)
                        for l in 0..<16 {
                            let i = 16 * part + l
                            let low2 = Int32((byte(block, qs + i) >> shift) & 3)
                            let q = low2 - (byte(block, i) & mask != 0 ? 0 : 4)
                            out[l] = dl * Float(q)
                        }
                        out += 16
                    }
                    mask <<= 1
                }
            }
        }
    }

    /// The 6-bit scale and min of sub-block `s` (0…7) of a Q4_K or Q5_K block, from the 12
    /// bytes at `offset` (ggml's `get_scale_min_k4`):
    ///
    ///     byte 0..3 : [top2 of E..H scale][A..D scale 6 bits]
    ///     byte 4..7 : [top2 of e..h min  ][a..d min   6 bits]
    ///     byte 8..11: [e..h min low4     ][E..H scale low4  ]
    @inline(__always)
    static func scaleMin(_ block: UnsafeRawPointer, _ offset: Int, _ s: Int) -> (scale: UInt8, min: UInt8) {
        if s < 4 {
            return (byte(block, offset + s) & 63, byte(block, offset + s + 4) & 63)
        }
        let scale = (byte(block, offset + s + 4) & 0x0F) | ((byte(block, offset + s - 4) >> 6) << 4)
        let min = (byte(block, offset + s + 4) >> 4) | ((byte(block, offset + s) >> 6) << 4)
        return (scale, min)
    }

    /// Q4_K, 144 bytes: `f16 d | f16 dmin | scales[12] | qs[128]`, 8 sub-blocks of 32.
    ///
    /// Each 32-byte chunk of `qs` holds 64 values: low nibbles first, then high nibbles.
    /// `y = (d · sc) · n − (dmin · mn)`.
    public static func q4_K(_ blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(blocks, output, .q4_K)
        guard n > 0, let src = blocks.baseAddress, let dst = output.baseAddress else { return }
        for b in 0..<n {
            let block = src + b * 144
            let d = half(block, 0)
            let dmin = half(block, 2)
            let out = dst + b * 256
            for chunk in 0..<4 {
                let (sc1, m1) = scaleMin(block, 4, 2 * chunk)
                let (sc2, m2) = scaleMin(block, 4, 2 * chunk + 1)
                let d1 = d * Float(sc1), min1 = dmin * Float(m1)
                let d2 = d * Float(sc2), min2 = dmin * Float(m2)
                let qs = 16 + 32 * chunk
                let y = out + 64 * chunk
                for l in 0..<32 {
                    let q = byte(block, qs + l)
                    y[l] = d1 * Float(q & 0x0F) - min1
                    y[l + 32] = d2 * Float(q >> 4) - min2
                }
            }
        }
    }

    /// Q5_K, 176 bytes: `f16 d | f16 dmin | scales[12] | qh[32] | qs[128]`, 8 sub-blocks of 32.
    ///
    /// As Q4_K, plus a 5th bit: bit `i / 32` of `qh[i % 32]` adds 16.
    public static func q5_K(_ blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(blocks, output, .q5_K)
        guard n > 0, let src = blocks.baseAddress, let dst = output.baseAddress else { return }
        for b in 0..<n {
            let block = src + b * 176
            let d = half(block, 0)
            let dmin = half(block, 2)
            let out = dst + b * 256
            for chunk in 0..<4 {
                let (sc1, m1) = scaleMin(block, 4, 2 * chunk)
                let (sc2, m2) = scaleMin(block, 4, 2 * chunk + 1)
                let d1 = d * Float(sc1), min1 = dmin * Float(m1)
                let d2 = d * Float(sc2), min2 = dmin * Float(m2)
                let qs = 48 + 32 * chunk
                let bit1 = UInt8(1) << UInt8(2 * chunk)
                let bit2 = bit1 << 1
                let y = out + 64 * chunk
                for l in 0..<32 {
                    let q = byte(block, qs + l)
                    let h = byte(block, 16 + l)
                    y[l] = d1 * Float((q & 0x0F) + (h & bit1 != 0 ? 16 : 0)) - min1
                    y[l + 32] = d2 * Float((q >> 4) + (h & bit2 != 0 ? 16 : 0)) - min2
                }
            }
        }
    }

    /// Q6_K, 210 bytes: `ql[128] | qh[64] | i8 scales[16] | f16 d`, 16 sub-blocks of 16.
    ///
    /// Per 128-value half (64 bytes of `ql`, 32 of `qh`), value `32r + l` takes nibble `r / 2`
    /// of `ql[32·(r % 2) + l]` and bits `2r…2r+1` of `qh[l]`; `q = code − 32`,
    /// `y = (d · scale) · q`.
    public static func q6_K(_ blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let n = blockCount(blocks, output, .q6_K)
        guard n > 0, let src = blocks.baseAddress, let dst = output.baseAddress else { return }
        for b in 0..<n {
            let block = src + b * 210
            let d = half(block, 208)
            for half128 in 0..<2 {
                let ql = 64 * half128
                let qh = 128 + 32 * half128
                let sc = 192 + 8 * half128
                let y = dst + b * 256 + 128 * half128
                for l in 0..<32 {
                    let s = l / 16
                    let low = byte(block, ql + l)
                    let high = byte(block, ql + 32 + l)
                    let h = byte(block, qh + l)
                    let q1 = Int32((low & 0x0F) | ((h & 3) << 4)) - 32
                    let q2 = Int32((high & 0x0F) | (((h >> 2) & 3) << 4)) - 32
                    let q3 = Int32((low >> 4) | (((h >> 4) & 3) << 4)) - 32
                    let q4 = Int32((high >> 4) | (((h >> 6) & 3) << 4)) - 32
                    y[l] = d * Float(Int8(bitPattern: byte(block, sc + s))) * Float(q1)
                    y[l + 32] = d * Float(Int8(bitPattern: byte(block, sc + s + 2))) * Float(q2)
                    y[l + 64] = d * Float(Int8(bitPattern: byte(block, sc + s + 4))) * Float(q3)
                    y[l + 96] = d * Float(Int8(bitPattern: byte(block, sc + s + 6))) * Float(q4)
                }
            }
        }
    }
}
