import CZlib
import Foundation

/// Extracts one member of a zip archive (a Python wheel), streaming it through zlib's raw
/// inflate into a file while hashing it. Stored and deflated members are supported; zip64 is not.
public enum ZipMember {
    public struct Extracted: Sendable { public let bytes: Int; public let sha256: String }

    public static func extract(archive: URL, member: String, to destination: URL) throws(StoreError) -> Extracted {
        let data: Data
        do { data = try Data(contentsOf: archive, options: .alwaysMapped) } catch {
            throw .archive("cannot read \(archive.path): \(error.localizedDescription)")
        }
        let result: Result<Extracted, StoreError> = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<Extracted, StoreError> in
          Result { () throws(StoreError) -> Extracted in
            let entry = try findEntry(raw, member: member, archive: archive.path)
            let local = entry.localHeaderOffset
            guard local + 30 <= raw.count, u32(raw, local) == 0x04034b50 else { throw .archive("\(archive.path): bad local header for \(member)") }
            let start = local + 30 + Int(u16(raw, local + 26)) + Int(u16(raw, local + 28))
            guard start + entry.compressedSize <= raw.count else { throw .archive("\(archive.path): \(member) runs past the end of the archive (truncated download?)") }
            let body = UnsafeRawBufferPointer(rebasing: raw[start ..< start + entry.compressedSize])
            return try write(body, method: entry.method, expectedSize: entry.size, to: destination)
          }
        }
        return try result.get()
    }

    private struct Entry { let method: Int; let compressedSize: Int; let size: Int; let localHeaderOffset: Int }

    private static func findEntry(_ raw: UnsafeRawBufferPointer, member: String, archive: String) throws(StoreError) -> Entry {
        var eocd = -1
        var i = raw.count - 22
        while i >= max(0, raw.count - 22 - 65535) {
            if u32(raw, i) == 0x06054b50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw .archive("\(archive) is not a zip archive (no end-of-central-directory record)") }
        let count = Int(u16(raw, eocd + 10))
        var p = Int(u32(raw, eocd + 16))
        for _ in 0..<count {
            guard p + 46 <= raw.count, u32(raw, p) == 0x02014b50 else { throw .archive("\(archive): corrupt central directory") }
            let nameLength = Int(u16(raw, p + 28)), extra = Int(u16(raw, p + 30)), comment = Int(u16(raw, p + 32))
            guard p + 46 + nameLength <= raw.count else { throw .archive("\(archive): corrupt central directory") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: raw[p + 46 ..< p + 46 + nameLength]), as: UTF8.self)
            if name == member {
                let compressed = u32(raw, p + 20), size = u32(raw, p + 24), offset = u32(raw, p + 42)
                guard compressed != 0xFFFF_FFFF, size != 0xFFFF_FFFF, offset != 0xFFFF_FFFF else {
                    throw .archive("\(archive): \(member) is a zip64 entry, which is not supported")
                }
                return Entry(method: Int(u16(raw, p + 10)), compressedSize: Int(compressed), size: Int(size), localHeaderOffset: Int(offset))
            }
            p += 46 + nameLength + extra + comment
        }
        throw .archive("\(archive) has no member \(member)")
    }

    private static func write(_ body: UnsafeRawBufferPointer, method: Int, expectedSize: Int, to destination: URL) throws(StoreError) -> Extracted {
        let folder = destination.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(destination.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).part")
        guard let out = fopen(temporary.path, "wb") else { throw .io("cannot create \(temporary.path): \(String(cString: strerror(errno)))") }
        var hasher = SHA256()
        var written = 0
        func emit(_ chunk: UnsafeRawBufferPointer) throws(StoreError) {
            hasher.update(chunk)
            written += chunk.count
            guard fwrite(chunk.baseAddress, 1, chunk.count, out) == chunk.count else { throw .io("cannot write \(temporary.path) (disk full?)") }
        }
        do throws(StoreError) {
            switch method {
            case 0:
                try emit(body)
            case 8:
                try inflateRaw(body, emit: emit)
            default:
                throw .archive("compression method \(method) is not supported (only stored and deflate)")
            }
            guard fclose(out) == 0 else { throw .io("cannot finish writing \(temporary.path)") }
        } catch {
            fclose(out)
            unlink(temporary.path)
            throw error
        }
        guard written == expectedSize else {
            unlink(temporary.path)
            throw .archive("extracted \(written) bytes, the archive promised \(expectedSize)")
        }
        guard rename(temporary.path, destination.path) == 0 else {
            unlink(temporary.path)
            throw .io("cannot move the model into \(destination.path): \(String(cString: strerror(errno)))")
        }
        return Extracted(bytes: written, sha256: SHA256.hex(hasher.finalize()))
    }

    private static func inflateRaw(_ body: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws(StoreError) -> Void) throws(StoreError) {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .archive("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 20
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { output.deallocate() }
        stream.next_in = UnsafeMutablePointer(mutating: body.baseAddress!.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(body.count)
        while true {
            stream.next_out = output
            stream.avail_out = UInt32(chunk)
            let status = inflate(&stream, Z_NO_FLUSH)
            guard status == Z_OK || status == Z_STREAM_END else { throw .archive("the compressed model is corrupt (zlib status \(status))") }
            try emit(UnsafeRawBufferPointer(start: output, count: chunk - Int(stream.avail_out)))
            if status == Z_STREAM_END { return }
            if stream.avail_in == 0 && stream.avail_out != 0 { throw .archive("the compressed model ends early (truncated download?)") }
        }
    }

    @inline(__always) private static func u16(_ r: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(r[o]) | UInt16(r[o + 1]) << 8
    }
    @inline(__always) private static func u32(_ r: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(r[o]) | UInt32(r[o + 1]) << 8 | UInt32(r[o + 2]) << 16 | UInt32(r[o + 3]) << 24
    }
}
