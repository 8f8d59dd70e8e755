import LocateTokenizer
import Testing

@Suite("Byte table")
struct ByteEncoderTests {
    /// 256 distinct scalars: a collision would make two bytes decode to the same one, silently
    /// corrupting every text that contains the second.
    @Test func tableIsDenseAndInjective() {
        #expect(ByteEncoder.scalars.count == 256)
        #expect(Set(ByteEncoder.scalars).count == 256)
    }

    /// byte → scalar → byte is the identity for all 256 bytes; a missing inverse entry would drop
    /// bytes during decoding.
    @Test func tableIsInvertible() {
        for byte in 0...255 {
            #expect(ByteEncoder.byte(for: ByteEncoder.scalars[byte]) == UInt8(byte))
        }
        let all = (0...255).map { UInt8($0) }
        #expect(ByteEncoder.decode(ByteEncoder.encode(all)) == all)
    }

    /// The GPT-2 assignments the vocabularies are written in: printable bytes are themselves, space
    /// is `Ġ`, newline `Ċ`, tab `ĉ`, 0xA0 `ł`. A shifted table would still round-trip, but give ids
    /// of the wrong tokens.
    @Test func knownAssignments() {
        #expect(ByteEncoder.scalars[0x20] == "Ġ")
        #expect(ByteEncoder.scalars[0x0A] == "Ċ")
        #expect(ByteEncoder.scalars[0x09] == "ĉ")
        #expect(ByteEncoder.scalars[0x00] == "Ā")
        #expect(ByteEncoder.scalars[0xA0] == "ł")
        #expect(ByteEncoder.scalars[0xAD] == "Ń")
        #expect(ByteEncoder.scalars[0x41] == "A")
        #expect(ByteEncoder.scalars[0xE9] == "é")
        #expect(ByteEncoder.encode(Array(" the\n".utf8)) == "ĠtheĊ")
    }

    /// Scalars outside the table (text that is not in byte-level form) are reported, not dropped.
    @Test func decodeRejectsForeignScalars() {
        #expect(ByteEncoder.decode("a b") == nil)
        #expect(ByteEncoder.byte(for: "€") == nil)
    }
}
