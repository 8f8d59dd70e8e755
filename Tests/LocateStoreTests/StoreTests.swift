import Foundation
import Testing
@testable import LocateStore
import TestSupport

@Suite("Model store")
struct StoreTests {
    /// FIPS 180-4 test vectors: a wrong round constant or padding rule would pass a model with a
    /// different hash, or reject the right one.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256Vectors(text: String, digest: String) {
        var h = SHA256()
        h.update(Array(text.utf8))
        #expect(SHA256.hex(h.finalize()) == digest)
    }

    /// Feeding the data in odd-sized pieces gives the same digest as one piece (the buffering
    /// across update calls is what streaming extraction relies on).
    @Test func sha256Streaming() {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var whole = SHA256(); whole.update(bytes)
        var pieces = SHA256()
        var i = 0
        for size in [1, 63, 64, 65, 127, 1000, 3] where i < bytes.count {
            pieces.update(Array(bytes[i..<min(bytes.count, i + size)])); i += size
        }
        pieces.update(Array(bytes[min(i, bytes.count)...]))
        #expect(SHA256.hex(whole.finalize()) == SHA256.hex(pieces.finalize()))
    }

    /// A zip written by Python's zipfile (deflate and stored members) extracts byte-exact.
    @Test func extractsZipMembers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("locate-zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let payload = Data((0..<200_000).map { UInt8(truncatingIfNeeded: ($0 * 7) % 251) })
        let zip = try ZipFixture.make(members: [("a/stored.bin", payload, false), ("b/deflated.bin", payload, true)], in: dir)
        for member in ["a/stored.bin", "b/deflated.bin"] {
            let out = dir.appendingPathComponent(member.replacingOccurrences(of: "/", with: "_"))
            let result = try ZipMember.extract(archive: zip, member: member, to: out)
            #expect(result.bytes == payload.count)
            #expect(try Data(contentsOf: out) == payload)
        }
        #expect(throws: StoreError.self) { try ZipMember.extract(archive: zip, member: "missing", to: dir.appendingPathComponent("x")) }
    }

    /// A truncated archive is an error naming the problem, not a crash or a short model file.
    @Test func truncatedArchiveIsAnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("locate-zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let payload = Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        let zip = try ZipFixture.make(members: [("m.bin", payload, true)], in: dir)
        let bytes = try Data(contentsOf: zip)
        let cut = dir.appendingPathComponent("cut.zip")
        try bytes.prefix(bytes.count / 2).write(to: cut)
        #expect(throws: StoreError.self) { try ZipMember.extract(archive: cut, member: "m.bin", to: dir.appendingPathComponent("out")) }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
    }

    /// The default model in the cache is the one the project was verified against.
    @Test func defaultModelHash() throws {
        let url = Fixtures.defaultModel
        try #require(FileManager.default.fileExists(atPath: url.path), "no model at \(url.path): run `bash scripts/setup.sh` or `locate model fetch`")
        try ModelStore().verify(url)
    }
}
