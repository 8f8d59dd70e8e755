import Foundation

/// Reads numpy `.npz` archives written by `numpy.savez` (stored, uncompressed zip members), the
/// format of the PyTorch reference's gradient fixtures.
public enum NPZ {
    public static func read(_ url: URL) throws(NPYError) -> [String: NPYArray] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw NPYError(path: url.path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        let bytes = [UInt8](data)
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        guard bytes.count >= 22 else { throw NPYError(path: url.path, reason: "too short for a zip archive") }
        var eocd = bytes.count - 22
        while eocd >= 0 && !(bytes[eocd] == 0x50 && bytes[eocd + 1] == 0x4b && bytes[eocd + 2] == 5 && bytes[eocd + 3] == 6) { eocd -= 1 }
        guard eocd >= 0 else { throw NPYError(path: url.path, reason: "not a zip archive (no end-of-central-directory record)") }
        var p = u32(eocd + 16)
        var out: [String: NPYArray] = [:]
        for _ in 0..<u16(eocd + 10) {
            guard p + 46 <= bytes.count, u32(p) == 0x02014b50 else { throw NPYError(path: url.path, reason: "corrupt central directory") }
            let method = u16(p + 10), size = u32(p + 20), nameLength = u16(p + 28)
            let local = u32(p + 42)
            guard p + 46 + nameLength <= bytes.count, local + 30 <= bytes.count else { throw NPYError(path: url.path, reason: "corrupt central directory") }
            let name = String(decoding: bytes[p + 46 ..< p + 46 + nameLength], as: UTF8.self)
            guard method == 0 else {
                throw NPYError(path: url.path, reason: "member \(name) is compressed; write the archive with numpy.savez, not savez_compressed")
            }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + size <= bytes.count else { throw NPYError(path: url.path, reason: "member \(name) runs past the end") }
            let key = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            out[key] = try NPY.parse(Data(bytes[start ..< start + size]), path: "\(url.path):\(name)")
            p += 46 + nameLength + u16(p + 30) + u16(p + 32)
        }
        return out
    }
}
