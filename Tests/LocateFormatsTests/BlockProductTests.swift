import Foundation
import Testing
import LocateCore
import LocateFormats

/// Random GGUF blocks (finite halves) owned by a class, as a model file owns its mapping.
final class RandomBlocks {
    let format: BlockMatrix.Format
    let bytes: [UInt8]
    let matrix: BlockMatrix

    init(_ format: BlockMatrix.Format, rows: Int, columns: Int, seed: UInt64) {
        let random = RandomSource(seed: seed)
        let blockCount = rows * columns / 32
        var bytes = (0..<blockCount * format.blockBytes).map { _ in UInt8(random.uniformInt(below: 256)) }
        // d in ±[2⁻⁸, 2⁻⁴) and m in ±[2⁻⁶, 2⁻²): normal halves, no inf or NaN.
        for b in 0..<blockCount {
            let base = b * format.blockBytes
            let halves = format == .q4_1 ? [(0, 0x1C00), (2, 0x2400)] : [(0, 0x1C00)]
            for (offset, exponentBase) in halves {
                let bits = UInt16(exponentBase + random.uniformInt(below: 0x1000)) | (random.uniform() < 0.5 ? 0x8000 : 0)
                bytes[base + offset] = UInt8(bits & 0xFF)
                bytes[base + offset + 1] = UInt8(bits >> 8)
            }
        }
        self.format = format
        self.bytes = bytes
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        self.pointer = pointer
        matrix = BlockMatrix(format: format, rows: rows, columns: columns, blocks: UnsafeRawPointer(pointer), owner: Owner(pointer))!
    }
    private let pointer: UnsafeMutableRawPointer

    /// The weights [N, K] as the dequantizer gives them.
    var dequantized: [Float] { Dequantize.row(format == .q4_1 ? .q4_1 : .q8_0, bytes) }

    final class Owner {
        let pointer: UnsafeMutableRawPointer
        init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }
        deinit { pointer.deallocate() }
    }
}

func blockProduct(_ x: [Float], _ w: BlockMatrix, m: Int, portable: Bool = false, threads: Int = 1,
                  into start: [Float]? = nil) -> [Float] {
    var y = start ?? [Float](repeating: .nan, count: m * w.rows)
    try! Compute(threads: threads).run {
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            Matmul.linear(xp.baseAddress!, w, yp.baseAddress!, m: m, accumulate: start != nil, portable: portable)
        } }
    }
    return y
}

@Suite("Products over GGUF blocks")
struct BlockProductTests {
    static let formats: [BlockMatrix.Format] = [.q4_1, .q8_0]
    /// (rows M, columns N, width K): full and partial panels of 8 columns, every tile of rows
    /// (1, 2, 3, 4 and more), several row blocks of 64.
    static let shapes: [(Int, Int, Int)] = [(1, 8, 32), (2, 16, 64), (3, 24, 96), (4, 8, 32), (5, 13, 64), (7, 40, 32),
                                            (9, 3, 64), (70, 21, 96), (130, 16, 32)]

    @Test("equal the double-precision product of the dequantized weights", arguments: formats)
    func matchesNaive(format: BlockMatrix.Format) {
        for (s, (m, n, k)) in Self.shapes.enumerated() {
            let blocks = RandomBlocks(format, rows: n, columns: k, seed: UInt64(100 + s))
            let x = RandomSource(seed: UInt64(200 + s)).gaussians(count: m * k, std: 1)
            let reference = Matmul.linearNaive(x, blocks.dequantized, m: m, n: n, k: k)
            let w = blocks.dequantized
            for portable in [false, true] {
                let y = blockProduct(x, blocks.matrix, m: m, portable: portable)
                for i in 0..<m {
                    for j in 0..<n {
                        // float32 sums of k terms: within k·ε of Σ|x·w|.
                        var scale: Float = 0
                        for p in 0..<k { scale += abs(x[i * k + p] * w[j * k + p]) }
                        #expect(abs(y[i * n + j] - reference[i * n + j]) <= Float(k) * 1.2e-7 * scale,
                                "\(format) m=\(m) n=\(n) k=\(k) portable=\(portable) at [\(i), \(j)]")
                    }
                }
            }
        }
    }

    @Test("expand each weight exactly as the dequantizer does (one-hot rows give W's columns; −0 reads as 0)", arguments: formats)
    func expandsExactly(format: BlockMatrix.Format) {
        let n = 24, k = 64
        let blocks = RandomBlocks(format, rows: n, columns: k, seed: 7)
        var x = [Float](repeating: 0, count: k * k)
        for p in 0..<k { x[p * k + p] = 1 }
        let w = blocks.dequantized
        for portable in [false, true] {
            let y = blockProduct(x, blocks.matrix, m: k, portable: portable)   // y[p][j] = W[j][p]
            let mismatches = (0..<k).flatMap { p in (0..<n).filter { j in y[p * n + j] != w[j * k + p] } }
            #expect(mismatches.isEmpty, "\(format) portable=\(portable): \(mismatches.count) weights differ")
        }
    }

    @Test("give a row the same bits whatever the batch, the thread count and the path", arguments: formats)
    func rowIndependent(format: BlockMatrix.Format) {
        let m = 13, n = 48, k = 96
        let blocks = RandomBlocks(format, rows: n, columns: k, seed: 11)
        let x = RandomSource(seed: 12).gaussians(count: m * k, std: 1)
        let batch = blockProduct(x, blocks.matrix, m: m)
        let shared = blockProduct(x, blocks.matrix, m: m, threads: 4)
        #expect(batch.map(\.bitPattern) == shared.map(\.bitPattern))
        for i in [0, 5, 12] {
            let alone = blockProduct(Array(x[i * k ..< (i + 1) * k]), blocks.matrix, m: 1)
            #expect(alone.map(\.bitPattern) == Array(batch[i * n ..< (i + 1) * n]).map(\.bitPattern), "row \(i)")
        }
        if Matmul.blockProductsVectorized {
            let portable = blockProduct(x, blocks.matrix, m: m, portable: true)
            #expect(portable.map(\.bitPattern) == batch.map(\.bitPattern), "the portable path sums in the same order")
        }
    }

    @Test("accumulate into y when asked, and a zero x adds nothing", arguments: formats)
    func accumulates(format: BlockMatrix.Format) {
        let m = 6, n = 16, k = 64
        let blocks = RandomBlocks(format, rows: n, columns: k, seed: 21)
        let x = RandomSource(seed: 22).gaussians(count: m * k, std: 1)
        let start = RandomSource(seed: 23).gaussians(count: m * n, std: 1)
        let product = blockProduct(x, blocks.matrix, m: m)
        let summed = blockProduct(x, blocks.matrix, m: m, into: start)
        #expect(zip(summed, zip(start, product)).allSatisfy { $0 == $1.0 + $1.1 })
        let unchanged = blockProduct([Float](repeating: 0, count: m * k), blocks.matrix, m: m, into: start)
        #expect(unchanged == start)
    }
}
