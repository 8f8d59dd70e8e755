import Foundation
import Testing
import LocateFormats
import TestSupport

@Suite("Fuzzing the GGUF reader")
struct GGUFFuzzTests {
    /// Guards against any input that traps the reader (a crash would kill this process):
    /// thousands of mutations of a small synthetic file, every one parsed or typed-rejected.
    @Test func syntheticFile() {
        let base = GGUFMalformedTests.richFile()
        let report = GGUFFuzz.run(seed: 0x5EED, iterations: 4000, base: base, region: 0..<base.count)
        #expect(report.iterations == 4000 && report.parsed + report.rejected == 4000)
        #expect(report.parsed > 0 && report.rejected > 0, "\(report)")
        #expect(report.errorCounts.count >= 8, "few distinct errors reached: \(report)")
    }

    /// Guards against a fuzzer whose runs cannot be reproduced from the seed.
    @Test func deterministic() {
        let base = GGUFMalformedTests.richFile()
        let a = GGUFFuzz.run(seed: 42, iterations: 300, base: base)
        let b = GGUFFuzz.run(seed: 42, iterations: 300, base: base)
        #expect(a == b)
        #expect(GGUFFuzz.run(seed: 43, iterations: 300, base: base) != a)
    }

    /// Guards against traps on a real file's structure (33 keys, 98 304 strings, 272 tensor infos):
    /// mutations land in its first 64 KiB, in its tensor infos, and anywhere in its 1.78 MB header,
    /// and each mutated file is parsed whole, tensor data included.
    @Test func realModelHeader() throws {
        let url = Fixtures.defaultModel
        _ = try RealModel.file()
        let base = [UInt8](try Data(contentsOf: url, options: .alwaysMapped))
        let dataStart = 1_785_664
        let front = GGUFFuzz.run(seed: 1, iterations: 400, base: base, region: 0..<65_536)
        let infos = GGUFFuzz.run(seed: 2, iterations: 150, base: base, region: (dataStart - 13_000)..<dataStart)
        let header = GGUFFuzz.run(seed: 3, iterations: 150, base: base)
        for report in [front, infos, header] {
            #expect(report.parsed + report.rejected == report.iterations && report.rejected > 0, "\(report)")
        }
        #expect(infos.errorCounts.count >= 6, "tensor-info checks not reached: \(infos)")
    }
}
