import Foundation
import LocateCore
import LocateFormats

/// Builds GGUF v3 files in memory: metadata of every value type (nested arrays included) and
/// tensors given as floats (F32, F16, BF16, Q8_0, Q4_1) or raw bytes, laid out as ggml's writer
/// does (tensors in order, each padded to the alignment, the data section aligned).
///
///     var b = GGUFBuilder()
///     b.set(config: ModelConfig(blockCount: 2, embeddingLength: 8, feedForwardLength: 16,
///                               headCount: 2, vocabSize: 10))
///     b.addTensor("token_embd.weight", shape: [10, 8], f32: values)   // numpy order [rows, cols]
///     b.addTensor("blk.0.attn_q.weight", shape: [8, 8], f32: wq)
///     try b.write(to: url)            // or: let file = try GGUFFile(bytes: b.build())
///
/// For malformed-file tests every field can be set to a bad value: ``append(_:_:)`` adds a
/// duplicate key, ``appendRaw(key:typeID:payload:)`` writes arbitrary bytes for a value,
/// ``Tensor`` exposes the raw `ne`, type id and an offset override.
public struct GGUFBuilder: Sendable {
    /// One metadata pair as it will be written.
    public struct Pair: Sendable {
        public var key: [UInt8]
        public var typeID: UInt32
        public var payload: [UInt8]
        /// The value, when the pair was made from one (nil for raw pairs).
        public var value: GGUFValue?

        public init(key: [UInt8], typeID: UInt32, payload: [UInt8], value: GGUFValue? = nil) {
            self.key = key; self.typeID = typeID; self.payload = payload; self.value = value
        }
    }

    /// One tensor as it will be written.
    public struct Tensor: Sendable {
        public var name: [UInt8]
        /// ggml order: `ne[0]` is the contiguous dimension (numpy shape reversed).
        public var ne: [UInt64]
        public var typeID: UInt32
        /// The stored bytes.
        public var data: [UInt8]
        /// Written instead of the natural offset when set; the bytes stay at the natural place.
        public var offsetOverride: UInt64?

        public init(name: [UInt8], ne: [UInt64], typeID: UInt32, data: [UInt8], offsetOverride: UInt64? = nil) {
            self.name = name; self.ne = ne; self.typeID = typeID; self.data = data; self.offsetOverride = offsetOverride
        }
    }

    /// The four magic bytes.
    public var magic: [UInt8] = Array("GGUF".utf8)
    /// The version field.
    public var version: UInt32 = 3
    /// Metadata pairs in file order.
    public var pairs: [Pair] = []
    /// Tensors in file order.
    public var tensors: [Tensor] = []
    /// Padding alignment; by default `general.alignment` when set, else 32.
    public var alignmentOverride: Int?

    public init() {}

    /// The alignment used for padding.
    public var alignment: Int {
        if let alignmentOverride { return alignmentOverride }
        let declared = pairs.last { $0.key == Array("general.alignment".utf8) }?.value?.intValue
        if let declared, declared > 0 { return declared }
        return 32
    }

    // MARK: - Metadata

    /// Sets `key` to `value`, replacing an earlier value of the same key in place.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        let (typeID, payload) = Self.encode(value)
        let pair = Pair(key: Array(key.utf8), typeID: typeID, payload: payload, value: value)
        if let i = pairs.firstIndex(where: { $0.key == pair.key }) { pairs[i] = pair } else { pairs.append(pair) }
    }

    /// Appends `key` even if it is already present (duplicate-key tests).
    public mutating func append(_ key: String, _ value: GGUFValue) {
        let (typeID, payload) = Self.encode(value)
        pairs.append(Pair(key: Array(key.utf8), typeID: typeID, payload: payload, value: value))
    }

    /// Appends a pair from raw bytes: any key bytes, any type id, any payload.
    public mutating func appendRaw(key: [UInt8], typeID: UInt32, payload: [UInt8]) {
        pairs.append(Pair(key: key, typeID: typeID, payload: payload, value: nil))
    }

    /// Sets `general.architecture` and every `[arch].*` hyperparameter of `config`.
    public mutating func set(config: ModelConfig) {
        for (key, value) in config.ggufMetadata { set(key, value) }
    }

    // MARK: - Tensors

    /// Adds a tensor of raw bytes. `shape` is in numpy order (`[rows, cols]`).
    public mutating func addTensor(_ name: String, shape: [Int], type: GGMLType, raw: [UInt8]) {
        tensors.append(Tensor(name: Array(name.utf8), ne: shape.reversed().map { UInt64($0) },
                              typeID: type.rawValue, data: raw, offsetOverride: nil))
    }

    /// Adds an F32 tensor. `shape` is in numpy order; `values` are row-major.
    public mutating func addTensor(_ name: String, shape: [Int], f32 values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        addTensor(name, shape: shape, type: .f32, raw: values.flatMap { Self.bytes($0.bitPattern) })
    }

    /// Adds an F16 tensor (values rounded to the nearest binary16).
    public mutating func addTensor(_ name: String, shape: [Int], f16 values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        addTensor(name, shape: shape, type: .f16, raw: values.flatMap { Self.bytes(Self.halfBits($0)) })
    }

    /// Adds a BF16 tensor (values truncated to their top 16 bits).
    public mutating func addTensor(_ name: String, shape: [Int], bf16 values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        addTensor(name, shape: shape, type: .bf16, raw: values.flatMap { Self.bytes(UInt16($0.bitPattern >> 16)) })
    }

    /// Adds a Q8_0 tensor quantized with ggml's reference quantizer (rows a multiple of 32).
    public mutating func addTensor(_ name: String, shape: [Int], q8_0 values: [Float]) {
        precondition(shape.reduce(1, *) == values.count && (shape.last ?? 0) % 32 == 0, "bad Q8_0 shape \(shape)")
        addTensor(name, shape: shape, type: .q8_0, raw: Self.quantizeQ8_0(values))
    }

    /// Adds a Q4_1 tensor quantized with ggml's reference quantizer (rows a multiple of 32).
    public mutating func addTensor(_ name: String, shape: [Int], q4_1 values: [Float]) {
        precondition(shape.reduce(1, *) == values.count && (shape.last ?? 0) % 32 == 0, "bad Q4_1 shape \(shape)")
        addTensor(name, shape: shape, type: .q4_1, raw: Self.quantizeQ4_1(values))
    }

    // MARK: - Output

    /// The natural data offset of each tensor: packed in order, each padded to the alignment.
    public var naturalOffsets: [UInt64] {
        var offsets: [UInt64] = []
        var running = 0
        for tensor in tensors {
            offsets.append(UInt64(running))
            running = Self.align(running + tensor.data.count, alignment)
        }
        return offsets
    }

    /// The GGUF bytes.
    public func build() -> [UInt8] {
        var out = magic
        out += Self.bytes(version)
        out += Self.bytes(UInt64(tensors.count))
        out += Self.bytes(UInt64(pairs.count))
        for pair in pairs {
            out += Self.bytes(UInt64(pair.key.count)) + pair.key
            out += Self.bytes(pair.typeID) + pair.payload
        }
        let offsets = naturalOffsets
        for (tensor, natural) in zip(tensors, offsets) {
            out += Self.bytes(UInt64(tensor.name.count)) + tensor.name
            out += Self.bytes(UInt32(tensor.ne.count))
            for n in tensor.ne { out += Self.bytes(n) }
            out += Self.bytes(tensor.typeID)
            out += Self.bytes(tensor.offsetOverride ?? natural)
        }
        out += [UInt8](repeating: 0, count: Self.align(out.count, alignment) - out.count)
        let dataStart = out.count
        for (tensor, natural) in zip(tensors, offsets) {
            out += [UInt8](repeating: 0, count: dataStart + Int(natural) - out.count)
            out += tensor.data
        }
        out += [UInt8](repeating: 0, count: Self.align(out.count, alignment) - out.count)
        return out
    }

    /// Writes ``build()`` to `url` atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(Data(build()), to: url)
    }

    // MARK: - Encoding

    /// The type id and payload bytes of a metadata value (GGUF.md §1.4). An empty array is
    /// written with element type UINT8; arrays must be homogeneous.
    public static func encode(_ value: GGUFValue) -> (typeID: UInt32, payload: [UInt8]) {
        switch value {
        case .uint8(let v): return (0, [v])
        case .int8(let v): return (1, [UInt8(bitPattern: v)])
        case .uint16(let v): return (2, bytes(v))
        case .int16(let v): return (3, bytes(v))
        case .uint32(let v): return (4, bytes(v))
        case .int32(let v): return (5, bytes(v))
        case .float32(let v): return (6, bytes(v.bitPattern))
        case .bool(let v): return (7, [v ? 1 : 0])
        case .string(let s): return (8, string(s))
        case .uint64(let v): return (10, bytes(v))
        case .int64(let v): return (11, bytes(v))
        case .float64(let v): return (12, bytes(v.bitPattern))
        case .array(let elements):
            let elementType = elements.first.map { encode($0).typeID } ?? 0
            var payload = bytes(elementType) + bytes(UInt64(elements.count))
            for element in elements {
                let (typeID, bytes) = encode(element)
                precondition(typeID == elementType, "GGUF arrays are homogeneous: \(value.typeName) mixes types")
                payload += bytes
            }
            return (9, payload)
        }
    }

    /// A `gguf_string`: `u64` length, then the UTF-8 bytes.
    public static func string(_ s: String) -> [UInt8] {
        bytes(UInt64(s.utf8.count)) + Array(s.utf8)
    }

    /// The little-endian bytes of an integer.
    public static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// `x` rounded up to a multiple of `a`.
    public static func align(_ x: Int, _ a: Int) -> Int {
        x + (a - x % a) % a
    }
}
