import Testing
import LocateFormats

/// One golden case of GGUF.md §5: the expected head, tail and sum of one dequantized block.
struct GoldenBlock: Sendable, CustomTestStringConvertible {
    let type: GGMLType
    /// Byte offsets of the f16 fields: `d` first, then `m`/`dmin` when the type has one.
    let halfOffsets: [Int]
    let head: [Float]
    let tail: [Float]
    let sum: Double

    var testDescription: String { type.name }

    /// `raw[k] = (37·k + 11) mod 256`, then `d = 0x3800` (0.5) and `m`/`dmin = 0x3400` (0.25).
    var block: [UInt8] {
        var raw = (0..<type.typeSize).map { UInt8((37 * $0 + 11) % 256) }
        for (field, bits) in zip(halfOffsets, [UInt16(0x3800), 0x3400]) {
            raw[field] = UInt8(bits & 0xFF)
            raw[field + 1] = UInt8(bits >> 8)
        }
        return raw
    }
}

/// Three blocks of a quadratic byte pattern with block-dependent `d` and a negative `m`/`dmin`,
/// checked by a position-weighted sum (which, unlike a plain sum, catches permuted values).
struct PatternCase: Sendable, CustomTestStringConvertible {
    let type: GGMLType
    let halfOffsets: [Int]
    let head: [Float]
    let sum: Double
    let weighted: Double

    var testDescription: String { type.name }

    /// Block `b`: `raw[k] = (7k² + 13k + 5 + 101b) mod 256`, `d = 0x2E66 + b`, `m = 0xB0CD − b`.
    var blocks: [UInt8] {
        (0..<3).flatMap { b -> [UInt8] in
            var raw = (0..<type.typeSize).map { k in UInt8((k * k * 7 + k * 13 + 5 + 101 * b) % 256) }
            for (field, bits) in zip(halfOffsets, [UInt16(0x2E66 + b), UInt16(0xB0CD - b)]) {
                raw[field] = UInt8(bits & 0xFF)
                raw[field + 1] = UInt8(bits >> 8)
            }
            return raw
        }
    }
}

@Suite("Dequantization golden vectors")
struct DequantizeGoldenTests {
    /// The table of GGUF.md §5, produced by gguf-py 0.19.0's reference dequantizer.
    static let cases: [GoldenBlock] = [
        GoldenBlock(type: .q4_0, halfOffsets: [0], head: [-1.5, 1, 3.5, -2, 0.5, 3, -2.5, 0],
                    tail: [-3.5, -2.5, -1.5, 0], sum: -10.5),
        GoldenBlock(type: .q4_1, halfOffsets: [0, 2], head: [7.75, 2.25, 4.75, 7.25, 1.75, 4.25, 6.75, 1.25],
                    tail: [2.75, 4.25, 5.25, 6.25], sum: 130.5),
        GoldenBlock(type: .q5_0, halfOffsets: [0], head: [4.5, -1, 1.5, -4, 6.5, -7, 3.5, -2],
                    tail: [-3, -2, 7, 0.5], sum: 7.5),
        GoldenBlock(type: .q5_1, halfOffsets: [0, 2], head: [9.75, 12.25, 14.75, 9.25, 11.75, 6.25, 0.75, 11.25],
                    tail: [7.25, 0.75, 1.75, 2.75], sum: 260.5),
        GoldenBlock(type: .q8_0, halfOffsets: [0], head: [42.5, 61, -48.5, -30, -11.5, 7, 25.5, 44],
                    tail: [48.5, -61, -42.5, -24], sum: -88),
        GoldenBlock(type: .q2_K, halfOffsets: [80, 82], head: [16.5, 0, 5.5, 11, 16.5, 0, 5.5, 11],
                    tail: [-0.75, -0.75, 2.25, 2.25], sum: 1029.5),
        GoldenBlock(type: .q3_K, halfOffsets: [108], head: [40.5, -54, 13.5, -27, 40.5, -54, 13.5, -27],
                    tail: [-21, -21, -14, 21], sum: 479),
        GoldenBlock(type: .q4_K, halfOffsets: [0, 2], head: [157.75, -12.75, 64.75, 142.25, 219.75, 49.25, 126.75, 204.25],
                    tail: [3.25, 9.25, 18.25, 24.25], sum: 27220),
        GoldenBlock(type: .q5_K, halfOffsets: [0, 2], head: [405.75, -12.75, 312.75, 142.25, 467.75, 49.25, 374.75, 204.25],
                    tail: [33.25, 39.25, 48.25, 54.25], sum: 58108),
        GoldenBlock(type: .q6_K, halfOffsets: [208], head: [-715.5, 848, 291.5, -265, -821.5, 742, 185.5, -371],
                    tail: [85, 75, -20, -30], sum: 2306),
    ]

    /// Guards against a wrong nibble order, bit position, scale unpacking or order of operations
    /// in any dequantizer: every value of the golden block must match gguf-py exactly.
    @Test(arguments: cases)
    func goldenBlock(_ golden: GoldenBlock) {
        let y = Dequantize.row(golden.type, golden.block)
        #expect(y.count == golden.type.blockSize)
        #expect(Array(y.prefix(8)) == golden.head)
        #expect(Array(y.suffix(4)) == golden.tail)
        #expect(y.reduce(0.0) { $0 + Double($1) } == golden.sum)
    }

    /// Made with gguf-py 0.19.0: `gguf.quants.dequantize(np.frombuffer(blocks, np.uint8), type)`,
    /// then `sum` and `weighted = Σ (i+1)·y[i]` accumulated in float64 in index order.
    static let patterns: [PatternCase] = [
        PatternCase(type: .q4_0, halfOffsets: [0], head: [0.2999267578125, 0.2999267578125, 0.0999755859375, -0.2999267578125], sum: -4.90313720703125, weighted: -295.79913330078125),
        PatternCase(type: .q4_1, halfOffsets: [0, 2], head: [0.749755859375, 0.349853515625, 1.349609375, 0.5498046875], sum: 59.13494873046875, weighted: 2798.44091796875),
        PatternCase(type: .q5_0, halfOffsets: [0], head: [1.4996337890625, 0.6998291015625, -0.2999267578125, 0.0999755859375], sum: 0.69793701171875, weighted: 83.18804931640625),
        PatternCase(type: .q5_1, halfOffsets: [0, 2], head: [2.749267578125, -0.050048828125, 0.14990234375, 1.74951171875], sum: 143.16278076171875, weighted: 6665.0252685546875),
        PatternCase(type: .q8_0, halfOffsets: [0], head: [5.8985595703125, 10.6973876953125, -8.6978759765625, -1.0997314453125], sum: -6.4296875, weighted: -1453.4248046875),
        PatternCase(type: .q2_K, halfOffsets: [80, 82], head: [0.4998779296875, 0.4998779296875, 1.4996337890625, 1.4996337890625], sum: 1748.3748779296875, weighted: 678324.6019287109),
        PatternCase(type: .q3_K, halfOffsets: [108], head: [-1.0997314453125, -1.0997314453125, -3.2991943359375, -3.2991943359375], sum: -22.22698974609375, weighted: 26699.815856933594),
        PatternCase(type: .q4_K, halfOffsets: [0, 2], head: [27.24609375, 43.64208984375, 51.840087890625, 51.840087890625], sum: 22176.49365234375, weighted: 7817297.125),
        PatternCase(type: .q5_K, halfOffsets: [0, 2], head: [92.830078125, 109.22607421875, 117.424072265625, 117.424072265625], sum: 43839.15966796875, weighted: 15244120.587890625),
        PatternCase(type: .q6_K, halfOffsets: [208], head: [64.8841552734375, 41.2899169921875, -159.2611083984375, -159.2611083984375], sum: -3741.51953125, weighted: -2088210.4306640625),
    ]

    /// Guards against values that land in the wrong position (a permutation keeps the plain sum
    /// of the §5 table but not the weighted sum) and against sign or scale mistakes that the
    /// all-positive §5 constants cannot reveal.
    @Test(arguments: patterns)
    func patternBlocks(_ pattern: PatternCase) {
        let y = Dequantize.row(pattern.type, pattern.blocks)
        #expect(y.count == 3 * pattern.type.blockSize)
        #expect(Array(y.prefix(4)) == pattern.head)
        var sum = 0.0
        var weighted = 0.0
        for (i, v) in y.enumerated() {
            sum += Double(v)
            weighted += Double(i + 1) * Double(v)
        }
        #expect(sum == pattern.sum)
        #expect(weighted == pattern.weighted)
    }

    /// Guards against a block dequantizer that reads the wrong block when given several: the
    /// golden block placed third of three must give the same values in the third slot.
    @Test(arguments: cases)
    func goldenBlockAmongOthers(_ golden: GoldenBlock) {
        let filler = [UInt8](repeating: 0x5A, count: 2 * golden.type.typeSize)
        let y = Dequantize.row(golden.type, filler + golden.block)
        let third = Array(y[(2 * golden.type.blockSize)...])
        #expect(third == Dequantize.row(golden.type, golden.block))
    }

    /// Guards against a block size or stride that drifts from ggml's `static_assert`ed structs,
    /// which would shift every block after the first.
    @Test func typeSizes() {
        let quants: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
        #expect(quants.map(\.typeSize) == [18, 20, 22, 24, 34, 84, 110, 144, 176, 210])
        #expect(quants.map(\.blockSize) == [32, 32, 32, 32, 32, 256, 256, 256, 256, 256])
        #expect([GGMLType.f32, .f16, .bf16].map(\.typeSize) == [4, 2, 2])
        #expect(GGMLType.q4_1.rawValue == 3 && GGMLType.q8_0.rawValue == 8 && GGMLType.bf16.rawValue == 30)
        #expect(GGMLType.name(ofID: 16) == "IQ2_XXS" && GGMLType.q4_K.name == "Q4_K")
    }

    /// Guards against F32 tensors being converted instead of copied (any bit change, NaN payloads too).
    @Test func f32RoundTrip() {
        let values: [Float] = [0, -0, 1, -2.5, .pi, .greatestFiniteMagnitude, .leastNonzeroMagnitude, .infinity,
                               Float(bitPattern: 0x7FC0_1234)]
        let raw = values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
        #expect(Dequantize.row(.f32, raw).map(\.bitPattern) == values.map(\.bitPattern))
    }

    /// Guards against a wrong binary16 conversion: all 65536 patterns must widen as `Float16`
    /// does, and the portable bit-twiddling path must agree bit for bit (NaNs included).
    @Test func f16AllPatterns() {
        let raw = (0...UInt16.max).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let y = Dequantize.row(.f16, raw)
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let index = Int(bits)
            guard y[index].bitPattern == expected.bitPattern,
                  Half.softwareFloat(fromBits: bits).bitPattern == expected.bitPattern else {
                Issue.record("f16 0x\(String(bits, radix: 16)): got \(y[index]) / \(Half.softwareFloat(fromBits: bits)), expected \(expected)")
                return
            }
        }
        #expect(Half.float(fromBits: 0x3C00) == 1 && Half.float(fromBits: 0xC000) == -2)
        #expect(Half.float(fromBits: 0x0001) == Float(Float16.leastNonzeroMagnitude))
    }

    /// Guards against BF16 being read as binary16 or with the wrong half of the word.
    @Test func bf16RoundTrip() {
        let values: [Float] = [1, -2, 0.15625, 3.0e38, -0, .infinity, Float(bitPattern: 0x000A_BCDE)]
        let raw = values.flatMap { v -> [UInt8] in
            let top = UInt16(v.bitPattern >> 16)
            return [UInt8(top & 0xFF), UInt8(top >> 8)]
        }
        let y = Dequantize.row(.bf16, raw)
        #expect(y.map(\.bitPattern) == values.map { $0.bitPattern & 0xFFFF_0000 })
        #expect(y[0] == 1 && y[1] == -2 && y[2] == 0.15625)
    }

    /// Guards against sign or width mistakes in the integer and F64 element types.
    @Test func integerAndF64Types() {
        #expect(Dequantize.row(.i8, [0xFF, 0x7F, 0x80]) == [-1, 127, -128])
        #expect(Dequantize.row(.i16, [0x00, 0x80, 0x01, 0x00]) == [-32768, 1])
        #expect(Dequantize.row(.i32, [0xFE, 0xFF, 0xFF, 0xFF]) == [-2])
        #expect(Dequantize.row(.i64, [0x05, 0, 0, 0, 0, 0, 0, 0]) == [5])
        let third = withUnsafeBytes(of: (1.0 / 3.0).bitPattern.littleEndian) { Array($0) }
        #expect(Dequantize.row(.f64, third) == [Float(1.0 / 3.0)])
    }
}
