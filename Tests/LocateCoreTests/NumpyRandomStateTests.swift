import Testing
import LocateCore
import TestSupport

@Suite("numpy RandomState")
struct NumpyRandomStateTests {
    /// The first 46,080 draws of `RandomState(1).randn` equal numpy's exactly: ROME's causal-trace
    /// noise depends on it, and any deviation would change every traced cell.
    @Test func matchesNumpyStream() throws {
        let reference = try Fixtures.npy("causal_trace/randn_stream_seed1.npy").doubles
        let ours = NumpyRandomState(seed: 1).randn(reference.count)
        #expect(ours == reference)
    }
}
