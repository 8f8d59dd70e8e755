/// GPT-2's reversible byte ↔ Unicode mapping used by byte-level BPE vocabularies.
///
/// Every byte maps to one printable Unicode scalar, so any byte string can be written as a
/// vocabulary string without control characters or spaces: the printable bytes
/// `!`…`~`, `¡`…`¬` and `®`…`ÿ` map to themselves, the other 68 bytes map, in byte order, to
/// U+0100, U+0101, … U+0143 (so the space 0x20 becomes `Ġ` U+0120 and `\n` becomes `Ċ` U+010A).
public enum ByteEncoder {
    /// The scalar that stands for each byte, indexed by the byte value (256 entries).
    public static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(byte) {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// Inverse of ``scalars``, indexed by scalar value; -1 where the scalar stands for no byte.
    private static let bytesByScalar: [Int16] = {
        var inverse = [Int16](repeating: -1, count: 256 + 68)
        for (byte, scalar) in scalars.enumerated() { inverse[Int(scalar.value)] = Int16(byte) }
        return inverse
    }()

    private static func isPrintable(_ byte: Int) -> Bool {
        (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
    }

    /// The byte a scalar stands for, or nil if the scalar is not in the table.
    @inline(__always)
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < bytesByScalar.count else { return nil }
        let byte = bytesByScalar[value]
        return byte < 0 ? nil : UInt8(byte)
    }

    /// The vocabulary form of a byte string, e.g. `[0x20, 0x61]` → `"Ġa"`.
    public static func encode<S: Sequence<UInt8>>(_ bytes: S) -> String {
        var view = String.UnicodeScalarView()
        for byte in bytes { view.append(scalars[Int(byte)]) }
        return String(view)
    }

    /// The bytes a vocabulary string stands for, or nil if any scalar is outside the table
    /// (such a token is not in byte-level form, e.g. an added token written as plain text).
    public static func decode(_ token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
