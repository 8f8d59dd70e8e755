import Foundation
import LocateCore

/// A GGUF model file (llama.cpp's format): metadata, tensor infos, and tensor bytes that
/// dequantize to `Float` exactly as ggml does.
///
/// The file is memory-mapped read-only and parsed once, up front; the object is an immutable
/// view and may be shared across threads. Opening validates everything that can be validated
/// without reading tensor data (see ``GGUFError``): a file that opens can be dequantized.
///
///     let file = try GGUFFile(contentsOf: url)
///     let config = try ModelConfig(gguf: file)
///     let embed = file.tensor(named: "token_embd.weight")!      // shape [49152, 576]
///     let rows = try file.dequantizeRows(embed, rows: 504..<505) // 576 floats
///
/// Byte layout and checks follow GGUF.md §1, after ggml's `gguf.cpp`; the reader is more
/// lenient than ggml in one way: tensor offsets need only be aligned and in bounds, not packed.
public final class GGUFFile: Sendable {
    /// How deep metadata arrays may nest before the file is rejected (bounds recursion).
    public static let maximumArrayDepth = 8
    /// The alignment used when `general.alignment` is absent.
    public static let defaultAlignment = 32

    /// The path, or the name given to ``init(bytes:name:)``.
    public let name: String
    /// The GGUF version: 2 or 3.
    public let version: UInt32
    /// All metadata key/value pairs.
    public let metadata: [String: GGUFValue]
    /// The metadata keys in file order.
    public let metadataKeys: [String]
    /// The tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// The alignment of the data section and of every tensor offset.
    public let alignment: Int
    /// Absolute byte offset of the data section; a tensor starts at `dataStart + info.offset`.
    public let dataStart: Int
    /// The size of the file in bytes.
    public let fileSize: Int

    let storage: MappedFile
    private let tensorIndex: [String: Int]

    /// Maps and parses the GGUF file at `url`.
    ///
    /// - Parameter url: A local file URL.
    /// - Throws: ``GGUFError/cannotOpen(path:reason:)`` when the file cannot be mapped, and any
    ///   parse error naming the field and byte offset when it is not a valid GGUF file.
    public convenience init(contentsOf url: URL) throws(GGUFError) {
        try self.init(storage: try MappedFile(path: url.path), name: url.path)
    }

    /// Parses GGUF bytes held in memory (tests, fuzzing, generated models). The bytes are copied.
    ///
    /// - Parameters:
    ///   - bytes: A complete GGUF file.
    ///   - name: A name for messages.
    /// - Throws: A parse error naming the field and byte offset when the bytes are not valid GGUF.
    public convenience init(bytes: [UInt8], name: String = "<memory>") throws(GGUFError) {
        try self.init(storage: MappedFile(copying: bytes), name: name)
    }

    private init(storage: MappedFile, name: String) throws(GGUFError) {
        let layout = try storage.withBytes { (bytes) throws(GGUFError) -> GGUFLayout in
            try GGUFParser.parse(bytes)
        }
        self.storage = storage
        self.name = name
        self.version = layout.version
        self.metadata = layout.metadata
        self.metadataKeys = layout.metadataKeys
        self.tensors = layout.tensors
        self.alignment = layout.alignment
        self.dataStart = layout.dataStart
        self.fileSize = storage.count
        var index: [String: Int] = [:]
        for (i, info) in layout.tensors.enumerated() { index[info.name] = i }
        self.tensorIndex = index
    }

    /// The info of the tensor called `name`, or `nil`.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Dequantizes a whole tensor to `Float`, in row-major numpy order (`tensor.shape`).
    ///
    /// Values are bit-identical to ggml's `dequantize_row_*` and gguf-py's `quants.dequantize`.
    ///
    /// - Parameter tensor: An info taken from this file.
    /// - Returns: `tensor.elementCount` values.
    /// - Throws: ``GGUFError/tensorNotInFile(_:)`` when `tensor` is not one of ``tensors``.
    public func dequantize(_ tensor: GGUFTensorInfo) throws(GGUFError) -> [Float] {
        try dequantizeRows(tensor, rows: 0..<tensor.rowCount)
    }

    /// Dequantizes some rows of a tensor, where a row is `ne[0]` contiguous values: for a 2-D
    /// tensor `shape == [rows, cols]`, `rows` indexes the first numpy axis (e.g. token ids of
    /// `token_embd.weight`). Tensors of 3 or 4 dimensions are treated as `[rowCount, ne[0]]`.
    ///
    /// - Parameters:
    ///   - tensor: An info taken from this file.
    ///   - rows: Rows within `0..<tensor.rowCount`.
    /// - Returns: `rows.count * tensor.rowLength` values, row after row.
    /// - Throws: ``GGUFError/tensorNotInFile(_:)`` or ``GGUFError/rowsOutOfRange(tensor:rows:rowCount:)``.
    public func dequantizeRows(_ tensor: GGUFTensorInfo, rows: Range<Int>) throws(GGUFError) -> [Float] {
        guard let i = tensorIndex[tensor.name], tensors[i] == tensor else { throw .tensorNotInFile(tensor.name) }
        guard rows.lowerBound >= 0, rows.upperBound <= tensor.rowCount else {
            throw .rowsOutOfRange(tensor: tensor.name, rows: rows, rowCount: tensor.rowCount)
        }
        return storage.withBytes { bytes in
            Self.dequantizeRows(tensor, rows: rows, bytes: bytes, dataStart: dataStart)
        }
    }

    /// Dequantizes rows of a validated tensor from the file's bytes.
    static func dequantizeRows(_ tensor: GGUFTensorInfo, rows: Range<Int>, bytes: UnsafeRawBufferPointer,
                               dataStart: Int) -> [Float] {
        let count = rows.count * tensor.rowLength
        let start = dataStart + tensor.offset + rows.lowerBound * tensor.rowByteCount
        let source = UnsafeRawBufferPointer(rebasing: bytes[start..<start + rows.count * tensor.rowByteCount])
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            Dequantize.row(tensor.type, source, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            initialized = count
        }
    }
}

extension GGUFFile {
    /// A 2-D Q4_1 or Q8_0 tensor as blocks read in place, for products that do not expand it
    /// (``Matmul/linear(_:_:_:m:accumulate:lda:ldy:portable:)``); `nil` for other types.
    ///
    /// - Throws: ``GGUFError/tensorNotInFile(_:)`` when `tensor` is not one of ``tensors``.
    public func blockMatrix(_ tensor: GGUFTensorInfo) throws(GGUFError) -> BlockMatrix? {
        guard let i = tensorIndex[tensor.name], tensors[i] == tensor else { throw .tensorNotInFile(tensor.name) }
        let format: BlockMatrix.Format
        switch tensor.type {
        case .q4_1: format = .q4_1
        case .q8_0: format = .q8_0
        default: return nil
        }
        guard tensor.shape.count == 2 else { return nil }
        return storage.withBytes { bytes -> BlockMatrix? in
            guard let base = bytes.baseAddress else { return nil }
            return BlockMatrix(format: format, rows: tensor.rowCount, columns: tensor.rowLength,
                               blocks: base + dataStart + tensor.offset, owner: storage)
        }
    }
}
