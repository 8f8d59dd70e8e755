/// The element types a GGUF tensor can have that this package can turn into `Float`
/// (GGUF.md §2; ids from ggml's `enum ggml_type`).
///
/// Codebook and ternary types (IQ*, TQ*) and the intermediate-only Q8_1 and Q8_K are not
/// cases; the reader rejects them with ``GGUFError/unsupportedTensorType(tensor:typeID:offset:)``,
/// whose message names the type (see ``GGMLType/name(ofID:)``).
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case i8 = 24
    case i16 = 25
    case i32 = 26
    case i64 = 27
    case f64 = 28
    case bf16 = 30

    /// How many values one block holds: 1 for plain types, 32 for legacy quants, 256 for K-quants.
    /// A row (`ne[0]`) must be a multiple of it.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return 256
        }
    }

    /// How many bytes one block occupies on disk (ggml's `type_size`, pinned by ggml's
    /// `static_assert`s on the block structs).
    public var typeSize: Int {
        switch self {
        case .i8: return 1
        case .f16, .bf16, .i16: return 2
        case .f32, .i32: return 4
        case .f64, .i64: return 8
        case .q4_0: return 18   // f16 d, 16 nibble bytes
        case .q4_1: return 20   // f16 d, f16 m, 16 nibble bytes
        case .q5_0: return 22   // f16 d, u32 qh, 16 nibble bytes
        case .q5_1: return 24   // f16 d, f16 m, u32 qh, 16 nibble bytes
        case .q8_0: return 34   // f16 d, 32 i8
        case .q2_K: return 84   // 16 scales, 64 qs, f16 d, f16 dmin
        case .q3_K: return 110  // 32 hmask, 64 qs, 12 scales, f16 d
        case .q4_K: return 144  // f16 d, f16 dmin, 12 scales, 128 qs
        case .q5_K: return 176  // f16 d, f16 dmin, 12 scales, 32 qh, 128 qs
        case .q6_K: return 210  // 128 ql, 64 qh, 16 i8 scales, f16 d
        }
    }

    /// ggml's name for the type, as printed by llama.cpp and gguf-py (`Q4_1`, `F32`, …).
    public var name: String { Self.name(ofID: rawValue) }

    public var description: String { name }

    /// ggml's name for any type id, including those this package does not support
    /// (`IQ2_XXS`, `TQ1_0`, …); `"type 99"` for ids ggml does not define.
    public static func name(ofID id: UInt32) -> String {
        switch id {
        case 0: return "F32"
        case 1: return "F16"
        case 2: return "Q4_0"
        case 3: return "Q4_1"
        case 4: return "Q4_2 (removed from ggml)"
        case 5: return "Q4_3 (removed from ggml)"
        case 6: return "Q5_0"
        case 7: return "Q5_1"
        case 8: return "Q8_0"
        case 9: return "Q8_1"
        case 10: return "Q2_K"
        case 11: return "Q3_K"
        case 12: return "Q4_K"
        case 13: return "Q5_K"
        case 14: return "Q6_K"
        case 15: return "Q8_K"
        case 16: return "IQ2_XXS"
        case 17: return "IQ2_XS"
        case 18: return "IQ3_XXS"
        case 19: return "IQ1_S"
        case 20: return "IQ4_NL"
        case 21: return "IQ3_S"
        case 22: return "IQ2_S"
        case 23: return "IQ4_XS"
        case 24: return "I8"
        case 25: return "I16"
        case 26: return "I32"
        case 27: return "I64"
        case 28: return "F64"
        case 29: return "IQ1_M"
        case 30: return "BF16"
        case 34: return "TQ1_0"
        case 35: return "TQ2_0"
        case 39: return "MXFP4"
        default: return "type \(id)"
        }
    }

    /// Bytes needed for `elementCount` values, or `nil` when `elementCount` is not a whole
    /// number of blocks or the size overflows `Int`.
    public func byteCount(elementCount: Int) -> Int? {
        guard elementCount >= 0, elementCount % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elementCount / blockSize).multipliedReportingOverflow(by: typeSize)
        return overflow ? nil : bytes
    }
}
