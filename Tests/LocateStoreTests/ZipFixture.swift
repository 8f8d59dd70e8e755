import CZlib
import Foundation

/// Writes small zip archives for tests (stored or raw-deflate members), so the extractor is
/// tested without a binary fixture.
enum ZipFixture {
    static func make(members: [(String, Data, Bool)], in dir: URL) throws -> URL {
        var out = Data()
        var central = Data()
        for (name, payload, deflate) in members {
            let body = deflate ? try compress(payload) : payload
            let crc = payload.withUnsafeBytes { UInt32(crc32(0, $0.bindMemory(to: UInt8.self).baseAddress, uInt($0.count))) }
            let offset = UInt32(out.count)
            let method: UInt16 = deflate ? 8 : 0
            let nameBytes = Data(name.utf8)
            let nameLength = UInt16(nameBytes.count)
            var local = le32(0x04034b50)
            for field in [le16(20), le16(0), le16(method), le16(0), le16(0)] { local.append(field) }
            for field in [le32(crc), le32(UInt32(body.count)), le32(UInt32(payload.count))] { local.append(field) }
            local.append(le16(nameLength)); local.append(le16(0))
            out.append(local); out.append(nameBytes); out.append(body)
            var entry = le32(0x02014b50)
            for field in [le16(20), le16(20), le16(0), le16(method), le16(0), le16(0)] { entry.append(field) }
            for field in [le32(crc), le32(UInt32(body.count)), le32(UInt32(payload.count))] { entry.append(field) }
            for field in [le16(nameLength), le16(0), le16(0), le16(0), le16(0)] { entry.append(field) }
            entry.append(le32(0)); entry.append(le32(offset)); entry.append(nameBytes)
            central.append(entry)
        }
        let centralOffset = UInt32(out.count)
        out.append(central)
        out.append(le32(0x06054b50))
        for field in [le16(0), le16(0), le16(UInt16(members.count)), le16(UInt16(members.count))] { out.append(field) }
        out.append(le32(UInt32(central.count))); out.append(le32(centralOffset)); out.append(le16(0))
        let url = dir.appendingPathComponent("fixture.zip")
        try out.write(to: url)
        return url
    }

    private static func compress(_ data: Data) throws -> Data {
        var stream = z_stream()
        guard deflateInit2_(&stream, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CocoaError(.featureUnsupported)
        }
        defer { deflateEnd(&stream) }
        var input = [UInt8](data)
        var output = [UInt8](repeating: 0, count: data.count + 1024)
        let produced: Int = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { outp in
                stream.next_in = inp.baseAddress; stream.avail_in = UInt32(inp.count)
                stream.next_out = outp.baseAddress; stream.avail_out = UInt32(outp.count)
                _ = deflate(&stream, Z_FINISH)
                return outp.count - Int(stream.avail_out)
            }
        }
        return Data(output[0..<produced])
    }

    private static func le16(_ v: UInt16) -> Data { Data([UInt8(v & 0xFF), UInt8(v >> 8)]) }
    private static func le32(_ v: UInt32) -> Data { Data((0..<4).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) }) }
}
