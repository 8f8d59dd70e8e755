/// Conversions from the 16-bit float formats of GGUF (IEEE binary16 and bfloat16) to `Float`.
///
/// Both conversions are exact: every binary16 and bfloat16 value is a `Float`.
public enum Half {
    /// An IEEE binary16 bit pattern as `Float` (ggml's `GGML_FP16_TO_FP32`).
    @inline(__always)
    public static func float(fromBits bits: UInt16) -> Float {
        #if (os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64)
        return softwareFloat(fromBits: bits)   // no Float16 on Intel macOS
        #else
        return Float(Float16(bitPattern: bits))
        #endif
    }

    /// A bfloat16 bit pattern as `Float`: the top 16 bits of a binary32.
    @inline(__always)
    public static func float(fromBF16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// binary16 → binary32 by bit manipulation, for platforms without `Float16`.
    /// Handles zeros, subnormals (renormalised), infinities and NaNs (quieted, payload kept).
    public static func softwareFloat(fromBits bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        var mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            guard mantissa != 0 else { return Float(bitPattern: sign) }
            // Subnormal: value = mantissa · 2^-24. Shift until the implicit bit appears.
            var e: UInt32 = 127 - 15 + 1
            while mantissa & 0x400 == 0 {
                mantissa <<= 1
                e -= 1
            }
            mantissa &= 0x3FF
            return Float(bitPattern: sign | e << 23 | mantissa << 13)
        case 0x1F:
            // Infinity, or NaN made quiet (payload kept) as the hardware conversion does.
            let quiet: UInt32 = mantissa == 0 ? 0 : 0x0040_0000
            return Float(bitPattern: sign | 0x7F80_0000 | quiet | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 127 - 15) << 23 | mantissa << 13)
        }
    }
}
