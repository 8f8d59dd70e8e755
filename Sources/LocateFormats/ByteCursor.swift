/// A bounds-checked little-endian reader over a byte buffer.
///
/// Every read checks that the bytes are there first and throws
/// ``GGUFError/truncated(field:offset:)`` naming the field and where it starts; nothing traps.
/// Field names are autoclosures so the hot path (100 000 token strings) builds no strings.
struct ByteCursor {
    /// The whole file.
    let bytes: UnsafeRawBufferPointer
    /// The absolute position of the next read.
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = min(max(offset, 0), bytes.count)
    }

    /// Bytes left after ``offset``.
    var remaining: Int { bytes.count - offset }

    /// Skips `count` bytes (used for checks that re-read nothing).
    mutating func skip(_ count: Int, field: @autoclosure () -> String) throws(GGUFError) {
        guard count >= 0, count <= remaining else { throw .truncated(field: field(), offset: offset) }
        offset += count
    }

    /// Reads `count` raw bytes.
    mutating func take(_ count: Int, field: @autoclosure () -> String) throws(GGUFError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw .truncated(field: field(), offset: offset) }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        offset += count
        return slice
    }

    /// Reads one fixed-width little-endian integer.
    @inline(__always)
    mutating func integer<T: FixedWidthInteger>(_: T.Type, field: @autoclosure () -> String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else { throw .truncated(field: field(), offset: offset) }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    mutating func u8(_ field: @autoclosure () -> String) throws(GGUFError) -> UInt8 {
        try integer(UInt8.self, field: field())
    }

    mutating func u32(_ field: @autoclosure () -> String) throws(GGUFError) -> UInt32 {
        try integer(UInt32.self, field: field())
    }

    mutating func u64(_ field: @autoclosure () -> String) throws(GGUFError) -> UInt64 {
        try integer(UInt64.self, field: field())
    }

    /// Reads a `gguf_string`'s bytes: a `u64` length, then that many bytes.
    mutating func stringBytes(_ field: @autoclosure () -> String) throws(GGUFError) -> UnsafeRawBufferPointer {
        let start = offset
        let length = try u64(field() + " length")
        guard length <= UInt64(remaining) else {
            offset = start
            throw .truncated(field: field(), offset: start)
        }
        return try take(Int(length), field: field())
    }

    /// Reads a `gguf_string` that must be valid UTF-8 (keys, tensor names).
    mutating func strictString(_ field: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = offset
        let raw = try stringBytes(field())
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw .invalidUTF8(field: field(), offset: start)
        }
        return text
    }

    /// Reads a `gguf_string`, replacing invalid UTF-8 with U+FFFD (values, token strings).
    mutating func lenientString(_ field: @autoclosure () -> String) throws(GGUFError) -> String {
        String(decoding: try stringBytes(field()), as: UTF8.self)
    }
}
