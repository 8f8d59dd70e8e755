/// Why a GGUF file could not be read, or a value could not be taken from it.
///
/// Every case names the field, key or tensor concerned and, for problems found while parsing,
/// the absolute byte offset in the file where the bad bytes start. The ``description`` says
/// what is wrong and ends with a `HINT:` saying what to do. Modelled on the checks of ggml's
/// `gguf.cpp` (duplicate keys, dimension counts, block-size multiples, alignment, offsets).
public enum GGUFError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be opened or memory-mapped.
    case cannotOpen(path: String, reason: String)
    /// The first four bytes are not `GGUF`.
    case badMagic(found: [UInt8])
    /// The version is 0, 1 (old `u32` counts) or above 3.
    case unsupportedVersion(UInt32)
    /// The version looks byte-swapped: the file was written big-endian.
    case bigEndian(versionBits: UInt32)
    /// The file ends inside `field`, which starts at `offset`.
    case truncated(field: String, offset: Int)
    /// A count (tensors, keys, array elements) is larger than the remaining bytes could hold.
    case absurdCount(field: String, count: UInt64, offset: Int, remaining: Int)
    /// A key or tensor name is not valid UTF-8.
    case invalidUTF8(field: String, offset: Int)
    /// A metadata key appears twice.
    case duplicateKey(String, offset: Int)
    /// A metadata value (or array element) type id is not one of GGUF's 13 types.
    case unknownValueType(key: String, typeID: UInt32, offset: Int)
    /// A BOOL byte is neither 0 nor 1.
    case invalidBool(key: String, byte: UInt8, offset: Int)
    /// Arrays nest deeper than ``GGUFFile/maximumArrayDepth``.
    case nestingTooDeep(key: String, offset: Int)
    /// Two tensors have the same name.
    case duplicateTensor(String, offset: Int)
    /// A tensor name is 64 bytes or longer (ggml's `GGML_MAX_NAME`).
    case tensorNameTooLong(String, offset: Int)
    /// `n_dims` is 0 or more than 4.
    case invalidDimensionCount(tensor: String, count: UInt32, offset: Int)
    /// `ne[index]` does not fit in a signed 64-bit integer.
    case invalidDimension(tensor: String, index: Int, value: UInt64, offset: Int)
    /// The product of the dimensions, or the tensor's byte size, overflows.
    case elementCountOverflow(tensor: String, ne: [UInt64], offset: Int)
    /// The tensor's element type is unknown or not supported (IQ*, TQ*, Q8_1, Q8_K, …).
    case unsupportedTensorType(tensor: String, typeID: UInt32, offset: Int)
    /// `ne[0]` is not a multiple of the type's block size.
    case rowNotMultipleOfBlock(tensor: String, ne0: Int, type: GGMLType, offset: Int)
    /// `general.alignment` is not a positive power of two (or not an integer).
    case badAlignment(value: String, offset: Int)
    /// A tensor's data offset is not a multiple of the alignment.
    case misalignedTensor(tensor: String, dataOffset: UInt64, alignment: Int, offset: Int)
    /// A tensor's data runs past the end of the file.
    case tensorDataOutOfBounds(tensor: String, start: UInt64, byteCount: Int, fileSize: Int)
    /// A required metadata key is absent.
    case missingKey(String)
    /// A metadata key holds a value of another type than the one asked for.
    case wrongType(key: String, expected: String, found: String)
    /// A metadata value has the right type but an unusable value (negative, zero, inconsistent).
    case invalidValue(key: String, value: String, reason: String)
    /// A tensor info passed to this file does not belong to it.
    case tensorNotInFile(String)
    /// Rows asked for lie outside the tensor.
    case rowsOutOfRange(tensor: String, rows: Range<Int>, rowCount: Int)

    /// A short stable name of the case (`truncated`, `badMagic`, …), for statistics and tests.
    public var code: String {
        switch self {
        case .cannotOpen: return "cannotOpen"
        case .badMagic: return "badMagic"
        case .unsupportedVersion: return "unsupportedVersion"
        case .bigEndian: return "bigEndian"
        case .truncated: return "truncated"
        case .absurdCount: return "absurdCount"
        case .invalidUTF8: return "invalidUTF8"
        case .duplicateKey: return "duplicateKey"
        case .unknownValueType: return "unknownValueType"
        case .invalidBool: return "invalidBool"
        case .nestingTooDeep: return "nestingTooDeep"
        case .duplicateTensor: return "duplicateTensor"
        case .tensorNameTooLong: return "tensorNameTooLong"
        case .invalidDimensionCount: return "invalidDimensionCount"
        case .invalidDimension: return "invalidDimension"
        case .elementCountOverflow: return "elementCountOverflow"
        case .unsupportedTensorType: return "unsupportedTensorType"
        case .rowNotMultipleOfBlock: return "rowNotMultipleOfBlock"
        case .badAlignment: return "badAlignment"
        case .misalignedTensor: return "misalignedTensor"
        case .tensorDataOutOfBounds: return "tensorDataOutOfBounds"
        case .missingKey: return "missingKey"
        case .wrongType: return "wrongType"
        case .invalidValue: return "invalidValue"
        case .tensorNotInFile: return "tensorNotInFile"
        case .rowsOutOfRange: return "rowsOutOfRange"
        }
    }

    private static let corrupt = "HINT: the file is damaged or not a GGUF model; download it again (or re-run the setup)."

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open \(path): \(reason).\nHINT: check the path and permissions; run the setup to fetch the default model."
        case .badMagic(let found):
            let hex = found.map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            return "not a GGUF file: the first bytes are [\(hex)], expected 47 47 55 46 (\"GGUF\") at offset 0.\n\(Self.corrupt)"
        case .unsupportedVersion(let v):
            return "GGUF version \(v) at offset 4 is not supported; only versions 2 and 3 are (version 1 used 32-bit counts).\nHINT: re-convert the model with a current llama.cpp `convert_hf_to_gguf.py`."
        case .bigEndian(let bits):
            return "the GGUF version field at offset 4 reads 0x\(String(bits, radix: 16)) little-endian, so the file is big-endian.\nHINT: only little-endian GGUF files are supported; convert on a little-endian machine."
        case .truncated(let field, let offset):
            return "the file ends inside \(field), which starts at byte offset \(offset).\n\(Self.corrupt)"
        case .absurdCount(let field, let count, let offset, let remaining):
            return "\(field) at byte offset \(offset) is \(count), more than the remaining \(remaining) bytes could hold.\n\(Self.corrupt)"
        case .invalidUTF8(let field, let offset):
            return "\(field) at byte offset \(offset) is not valid UTF-8.\n\(Self.corrupt)"
        case .duplicateKey(let key, let offset):
            return "metadata key '\(key)' appears twice (the second at byte offset \(offset)).\nHINT: the writer is broken; remove the duplicate or re-convert the model."
        case .unknownValueType(let key, let id, let offset):
            return "metadata key '\(key)' has value type \(id) at byte offset \(offset); GGUF defines types 0…12.\n\(Self.corrupt)"
        case .invalidBool(let key, let byte, let offset):
            return "metadata key '\(key)' has BOOL byte \(byte) at byte offset \(offset); only 0 and 1 are valid.\n\(Self.corrupt)"
        case .nestingTooDeep(let key, let offset):
            return "metadata key '\(key)' nests arrays deeper than \(GGUFFile.maximumArrayDepth) levels (at byte offset \(offset)).\n\(Self.corrupt)"
        case .duplicateTensor(let name, let offset):
            return "tensor '\(name)' appears twice (the second info at byte offset \(offset)).\nHINT: the writer is broken; re-convert the model."
        case .tensorNameTooLong(let name, let offset):
            return "tensor name '\(name.prefix(80))…' at byte offset \(offset) has \(name.utf8.count) bytes; ggml allows at most 63.\n\(Self.corrupt)"
        case .invalidDimensionCount(let tensor, let count, let offset):
            return "tensor '\(tensor)' has n_dims \(count) at byte offset \(offset); it must be 1…4.\n\(Self.corrupt)"
        case .invalidDimension(let tensor, let index, let value, let offset):
            return "tensor '\(tensor)' has ne[\(index)] = \(value) at byte offset \(offset), which is negative as a signed 64-bit count.\n\(Self.corrupt)"
        case .elementCountOverflow(let tensor, let ne, let offset):
            return "tensor '\(tensor)' with ne \(ne) (dimensions at byte offset \(offset)) has more elements or bytes than fit in a 64-bit integer.\n\(Self.corrupt)"
        case .unsupportedTensorType(let tensor, let id, let offset):
            return "tensor '\(tensor)' has type \(GGMLType.name(ofID: id)) (id \(id), at byte offset \(offset)), which this reader cannot dequantize.\nHINT: use a model quantized as F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 or Q2_K…Q6_K."
        case .rowNotMultipleOfBlock(let tensor, let ne0, let type, let offset):
            return "tensor '\(tensor)' of type \(type.name) has ne[0] = \(ne0) (at byte offset \(offset)), not a multiple of the block size \(type.blockSize).\n\(Self.corrupt)"
        case .badAlignment(let value, let offset):
            return "general.alignment at byte offset \(offset) is \(value); it must be a positive power of two (default 32).\n\(Self.corrupt)"
        case .misalignedTensor(let tensor, let dataOffset, let alignment, let offset):
            return "tensor '\(tensor)' has data offset \(dataOffset) (field at byte offset \(offset)), not a multiple of the alignment \(alignment).\n\(Self.corrupt)"
        case .tensorDataOutOfBounds(let tensor, let start, let byteCount, let fileSize):
            return "tensor '\(tensor)' needs \(byteCount) bytes from byte offset \(start), past the end of the \(fileSize)-byte file.\nHINT: the file is truncated (an interrupted download?); download it again."
        case .missingKey(let key):
            return "metadata key '\(key)' is missing.\nHINT: the model was converted without it; re-convert with a current llama.cpp, or check that the architecture is supported."
        case .wrongType(let key, let expected, let found):
            return "metadata key '\(key)' holds \(found), expected \(expected).\nHINT: the file does not follow the GGUF key conventions; re-convert the model."
        case .invalidValue(let key, let value, let reason):
            return "metadata key '\(key)' has value \(value): \(reason).\nHINT: the file's hyperparameters are inconsistent; re-convert the model."
        case .tensorNotInFile(let name):
            return "tensor '\(name)' is not a tensor of this file.\nHINT: pass a GGUFTensorInfo taken from the same GGUFFile (`file.tensor(named:)`)."
        case .rowsOutOfRange(let tensor, let rows, let rowCount):
            return "rows \(rows.lowerBound)..<\(rows.upperBound) are outside tensor '\(tensor)', which has \(rowCount) rows.\nHINT: ask for rows within 0..<\(rowCount)."
        }
    }
}
