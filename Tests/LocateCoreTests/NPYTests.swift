import Foundation
import Testing
import LocateCore
import TestSupport

@Suite("NPY files")
struct NPYTests {
    /// Writing then reading gives the same shape and bits, for every supported dtype.
    @Test func roundTrip() throws {
        let a = NPYArray(shape: [2, 3], floats: [0, 1, -2.5, .pi, 1e-30, -0])
        #expect(try NPY.parse(NPY.encode(a)) == a)
        let b = NPYArray(shape: [4], doubles: [1, 2, 3, 4.5])
        #expect(try NPY.parse(NPY.encode(b)) == b)
    }

    /// numpy pads the header so the data starts at a multiple of 64 bytes.
    @Test func headerIsAligned() {
        let data = NPY.encode(NPYArray(shape: [1], floats: [1]))
        #expect((data.count - 4) % 64 == 0)
    }

    /// A reference file written by numpy reads with the shape numpy gave it.
    @Test func readsReferenceFile() throws {
        let logits = try Fixtures.npy("forward/p00_logits_last.npy")
        #expect(logits.shape == [49152])
        let resid = try Fixtures.npy("forward/p00_resid.npy")
        #expect(resid.shape == [31, 5, 576])
    }

    @Test func rejectsGarbage() {
        #expect(throws: NPYError.self) { try NPY.parse(Data("not numpy".utf8)) }
    }
}
