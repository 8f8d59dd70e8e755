import LocateFormats

// Reference quantizers for the builder, after ggml's `quantize_row_q8_0_ref` and
// `quantize_row_q4_1_ref` (ggml-quants.c). They only need to produce valid blocks whose
// dequantized values are close to the input; dequantization is what is tested bit-exactly.

extension GGUFBuilder {
    /// The IEEE binary16 bits nearest to `x` (round to nearest even, as `Float16(x)`).
    public static func halfBits(_ x: Float) -> UInt16 {
        Float16(x).bitPattern
    }

    /// Q8_0 blocks for `values` (count a multiple of 32): `d = max|x| / 127`, `q = round(x / d)`.
    public static func quantizeQ8_0(_ values: [Float]) -> [UInt8] {
        precondition(values.count % 32 == 0, "Q8_0 needs a multiple of 32 values, got \(values.count)")
        var out: [UInt8] = []
        out.reserveCapacity(values.count / 32 * 34)
        for start in stride(from: 0, to: values.count, by: 32) {
            let block = values[start..<start + 32]
            let amax = block.reduce(Float(0)) { max($0, abs($1)) }
            let d = amax / 127
            let inverse = d != 0 ? 1 / d : 0
            out += bytes(halfBits(d))
            for x in block {
                out.append(UInt8(bitPattern: Int8((x * inverse).rounded())))
            }
        }
        return out
    }

    /// Q4_1 blocks for `values` (count a multiple of 32): `d = (max − min) / 15`, `m = min`,
    /// `n = min(15, Int8((x − min) / d + 0.5))`, low nibbles for elements 0…15.
    public static func quantizeQ4_1(_ values: [Float]) -> [UInt8] {
        precondition(values.count % 32 == 0, "Q4_1 needs a multiple of 32 values, got \(values.count)")
        var out: [UInt8] = []
        out.reserveCapacity(values.count / 32 * 20)
        for start in stride(from: 0, to: values.count, by: 32) {
            let block = Array(values[start..<start + 32])
            let lo = block.min() ?? 0
            let hi = block.max() ?? 0
            let d = (hi - lo) / 15
            let inverse = d != 0 ? 1 / d : 0
            out += bytes(halfBits(d)) + bytes(halfBits(lo))
            func code(_ x: Float) -> UInt8 { UInt8(min(15, Int8((x - lo) * inverse + 0.5))) }
            for j in 0..<16 {
                out.append(code(block[j]) | code(block[j + 16]) << 4)
            }
        }
        return out
    }
}
