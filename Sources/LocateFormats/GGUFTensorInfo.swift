/// What a GGUF file says about one tensor: name, shape, element type and where its bytes are
/// (GGUF.md §1.5). Values are validated by ``GGUFFile`` before an info is made.
///
/// Two shape orders exist. ``ne`` is ggml's: `ne[0]` is the contiguous (fastest) dimension.
/// ``shape`` is numpy's and PyTorch's, `ne` reversed. For a 2-D weight `shape == [rows, cols]`:
/// `token_embd.weight` has `ne = [576, 49152]` and `shape = [49152, 576]`, one row per token.
/// Quantization blocks run along a row.
public struct GGUFTensorInfo: Sendable, Equatable, CustomStringConvertible {
    /// The tensor's name, e.g. `blk.0.ffn_down.weight`.
    public let name: String
    /// numpy order: `ne` reversed, so the last entry is the contiguous dimension.
    public let shape: [Int]
    /// ggml order: `ne[0]` is the contiguous dimension. 1 to 4 entries, each ≥ 0.
    public let ne: [Int]
    /// The element type of the stored bytes.
    public let type: GGMLType
    /// Byte offset of the data relative to the start of the data section (``GGUFFile/dataStart``).
    public let offset: Int
    /// The number of values: the product of `ne`.
    public let elementCount: Int
    /// The number of stored bytes: `elementCount / blockSize * typeSize`.
    public let byteCount: Int
    /// Byte offset of this info's record in the file, for error messages.
    let infoOffset: Int

    /// Values per row: `ne[0]`, the contiguous dimension.
    public var rowLength: Int { ne[0] }

    /// The number of rows of `ne[0]` values: `ne[1] * ne[2] * ne[3]` (0 for an empty tensor).
    public var rowCount: Int { ne[0] == 0 ? 0 : elementCount / ne[0] }

    /// Stored bytes per row.
    public var rowByteCount: Int { ne[0] / type.blockSize * type.typeSize }

    public var description: String {
        "\(name) \(type.name) \(shape)"
    }
}
