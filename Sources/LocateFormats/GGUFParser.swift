/// The parsed, validated structure of a GGUF file: everything but the tensor bytes.
struct GGUFLayout: Sendable {
    var version: UInt32
    var metadata: [String: GGUFValue]
    var metadataKeys: [String]
    var tensors: [GGUFTensorInfo]
    var alignment: Int
    var dataStart: Int
}

/// Parses the header, metadata and tensor infos of a GGUF file held in memory (GGUF.md §1),
/// checking everything ggml's `gguf.cpp` checks, and a little more, without ever trapping.
///
/// Order of work: header (magic, version, counts); a first pass over the metadata that checks
/// its structure (keys, types, lengths, BOOL bytes) but builds no strings or arrays; the
/// alignment; tensor infos (name, dimensions, type, offset); the data bounds of each tensor;
/// and only then a second pass that builds the metadata values. A corrupt length that makes a
/// "string" swallow megabytes of tensor data is thus almost always rejected before those
/// megabytes are decoded.
enum GGUFParser {
    /// The smallest possible metadata pair on disk: key length, empty key, type id, one byte.
    static let minimumPairSize = 8 + 4 + 1
    /// The smallest possible tensor info: name length, empty name, n_dims, one ne, type, offset.
    static let minimumTensorInfoSize = 8 + 4 + 8 + 4 + 8
    /// Counts are only bounded by the file size, so reserve at most this many slots up front
    /// and let a (rare) bigger collection grow.
    static let reservationLimit = 1 << 16

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) -> GGUFLayout {
        var c = ByteCursor(bytes)
        let version = try readHeaderStart(&c)
        let tensorCount = try readCount(&c, field: "tensor_count", minimumSize: minimumTensorInfoSize)
        let pairCount = try readCount(&c, field: "metadata_kv_count", minimumSize: minimumPairSize)

        let metadataStart = c.offset
        let skim = try readMetadata(&c, count: pairCount, materialize: false)
        let alignment = try resolveAlignment(skim.alignment, offset: skim.alignmentOffset)
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(min(tensorCount, reservationLimit))
        var names = Set<String>()
        for index in 0..<tensorCount {
            let info = try readTensorInfo(&c, index: index, alignment: alignment)
            guard names.insert(info.name).inserted else { throw .duplicateTensor(info.name, offset: info.infoOffset) }
            tensors.append(info)
        }

        // align(x) = x + (A - x % A) % A; x <= file size, so this cannot overflow.
        let dataStart = c.offset + (alignment - c.offset % alignment) % alignment
        for info in tensors {
            let (start, overStart) = dataStart.addingReportingOverflow(info.offset)
            let (end, overEnd) = start.addingReportingOverflow(info.byteCount)
            guard !overStart, !overEnd, end <= bytes.count else {
                throw .tensorDataOutOfBounds(tensor: info.name, start: UInt64(dataStart) &+ UInt64(info.offset),
                                             byteCount: info.byteCount, fileSize: bytes.count)
            }
        }

        var second = ByteCursor(bytes, offset: metadataStart)
        let full = try readMetadata(&second, count: pairCount, materialize: true)
        return GGUFLayout(version: version, metadata: full.values, metadataKeys: full.keys, tensors: tensors,
                          alignment: alignment, dataStart: dataStart)
    }

    /// What a pass over the metadata found.
    private struct Metadata {
        var keys: [String] = []
        /// Every value when materialized; scalars only when skimming.
        var values: [String: GGUFValue] = [:]
        var alignment: GGUFValue?
        var alignmentOffset = 0
    }

    /// Reads `count` key/value pairs. With `materialize` false, strings and arrays are checked
    /// and skipped, not built.
    private static func readMetadata(_ c: inout ByteCursor, count: Int, materialize: Bool) throws(GGUFError) -> Metadata {
        var result = Metadata()
        result.keys.reserveCapacity(min(count, reservationLimit))
        result.values.reserveCapacity(min(count, reservationLimit))
        var seen = Set<String>()
        for index in 0..<count {
            let keyOffset = c.offset
            let key = try c.strictString("metadata key #\(index)")
            guard seen.insert(key).inserted else { throw .duplicateKey(key, offset: keyOffset) }
            let typeOffset = c.offset
            let typeID = try c.u32("value type of '\(key)'")
            guard let type = GGUFValueType(rawValue: typeID) else {
                throw .unknownValueType(key: key, typeID: typeID, offset: typeOffset)
            }
            let valueOffset = c.offset
            let isAlignment = key == "general.alignment"
            let value = try readValue(&c, type: type, key: key, depth: 0, materialize: materialize || isAlignment)
            if isAlignment {
                result.alignment = value
                result.alignmentOffset = valueOffset
            }
            result.keys.append(key)
            if let value { result.values[key] = value }
        }
        return result
    }

    /// Reads and checks the magic and version.
    private static func readHeaderStart(_ c: inout ByteCursor) throws(GGUFError) -> UInt32 {
        let magic: [UInt8] = Array("GGUF".utf8)
        let available = Array(c.bytes.prefix(4))
        guard available == Array(magic.prefix(available.count)) else { throw .badMagic(found: available) }
        try c.skip(4, field: "magic")
        let version = try c.u32("version")
        if version == 0 { throw .unsupportedVersion(version) }
        // gguf-py's heuristic: a byte-swapped small version has its low 16 bits clear.
        if version & 0xFFFF == 0 { throw .bigEndian(versionBits: version) }
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
        return version
    }

    /// Reads a `u64` count and rejects one the remaining bytes could not possibly hold.
    private static func readCount(_ c: inout ByteCursor, field: String, minimumSize: Int) throws(GGUFError) -> Int {
        let offset = c.offset
        let count = try c.u64(field)
        // Generous (the other count, the metadata and the data share these bytes), but it
        // rules out counts that would loop or allocate far beyond the file.
        let remaining = c.remaining
        guard count <= UInt64(remaining / minimumSize) else {
            throw .absurdCount(field: field, count: count, offset: offset, remaining: remaining)
        }
        return Int(count)
    }

    /// Reads one value of `type` (after its type id). When not materializing, strings and
    /// arrays are checked and skipped, and `nil` is returned for them.
    private static func readValue(_ c: inout ByteCursor, type: GGUFValueType, key: String, depth: Int,
                                  materialize: Bool) throws(GGUFError) -> GGUFValue? {
        switch type {
        case .uint8: return .uint8(try c.u8("value of '\(key)'"))
        case .int8: return .int8(try c.integer(Int8.self, field: "value of '\(key)'"))
        case .uint16: return .uint16(try c.integer(UInt16.self, field: "value of '\(key)'"))
        case .int16: return .int16(try c.integer(Int16.self, field: "value of '\(key)'"))
        case .uint32: return .uint32(try c.u32("value of '\(key)'"))
        case .int32: return .int32(try c.integer(Int32.self, field: "value of '\(key)'"))
        case .uint64: return .uint64(try c.u64("value of '\(key)'"))
        case .int64: return .int64(try c.integer(Int64.self, field: "value of '\(key)'"))
        case .float32: return .float32(Float(bitPattern: try c.u32("value of '\(key)'")))
        case .float64: return .float64(Double(bitPattern: try c.u64("value of '\(key)'")))
        case .bool:
            let offset = c.offset
            let byte = try c.u8("value of '\(key)'")
            guard byte <= 1 else { throw .invalidBool(key: key, byte: byte, offset: offset) }
            return .bool(byte == 1)
        case .string:
            guard materialize else {
                _ = try c.stringBytes("value of '\(key)'")
                return nil
            }
            return .string(try c.lenientString("value of '\(key)'"))
        case .array:
            let elements = try readArray(&c, key: key, depth: depth, materialize: materialize)
            return elements.map { .array($0) }
        }
    }

    /// Reads an array's element type, count and elements. Only nested arrays recurse, at most
    /// ``GGUFFile/maximumArrayDepth`` deep. Skimming skips fixed-size elements in one step.
    private static func readArray(_ c: inout ByteCursor, key: String, depth: Int,
                                  materialize: Bool) throws(GGUFError) -> [GGUFValue]? {
        let typeOffset = c.offset
        let typeID = try c.u32("array element type of '\(key)'")
        guard let type = GGUFValueType(rawValue: typeID) else {
            throw .unknownValueType(key: key, typeID: typeID, offset: typeOffset)
        }
        if type == .array, depth + 1 >= GGUFFile.maximumArrayDepth {
            throw .nestingTooDeep(key: key, offset: typeOffset)
        }
        let countOffset = c.offset
        let count = try c.u64("array length of '\(key)'")
        let remaining = c.remaining
        guard count <= UInt64(remaining / type.minimumSize) else {
            throw .absurdCount(field: "array length of '\(key)'", count: count, offset: countOffset, remaining: remaining)
        }
        let n = Int(count)
        guard materialize else {
            switch type {
            case .string:
                for index in 0..<n { _ = try c.stringBytes("'\(key)'[\(index)]") }
            case .array, .bool:
                for _ in 0..<n { _ = try readValue(&c, type: type, key: key, depth: depth + 1, materialize: false) }
            default:
                try c.skip(n * type.minimumSize, field: "'\(key)' elements")
            }
            return nil
        }
        var elements: [GGUFValue] = []
        elements.reserveCapacity(min(n, reservationLimit))
        switch type {
        case .string:
            for index in 0..<n {
                elements.append(.string(try c.lenientString("'\(key)'[\(index)]")))
            }
        case .int32:
            for index in 0..<n {
                elements.append(.int32(try c.integer(Int32.self, field: "'\(key)'[\(index)]")))
            }
        default:
            for _ in 0..<n {
                if let element = try readValue(&c, type: type, key: key, depth: depth + 1, materialize: true) {
                    elements.append(element)
                }
            }
        }
        return elements
    }

    /// `general.alignment` when present (any integer type, a positive power of two), else 32.
    private static func resolveAlignment(_ value: GGUFValue?, offset: Int) throws(GGUFError) -> Int {
        guard let value else { return GGUFFile.defaultAlignment }
        guard let alignment = value.intValue, alignment > 0, alignment.nonzeroBitCount == 1 else {
            throw .badAlignment(value: "\(value)", offset: offset)
        }
        return alignment
    }

    /// Reads and checks one tensor info (GGUF.md §1.5).
    private static func readTensorInfo(_ c: inout ByteCursor, index: Int, alignment: Int) throws(GGUFError) -> GGUFTensorInfo {
        let infoOffset = c.offset
        let name = try c.strictString("name of tensor info #\(index)")
        guard name.utf8.count < 64 else { throw .tensorNameTooLong(name, offset: infoOffset) }

        let dimsOffset = c.offset
        let dimensionCount = try c.u32("n_dims of tensor '\(name)'")
        guard (1...4).contains(dimensionCount) else {
            throw .invalidDimensionCount(tensor: name, count: dimensionCount, offset: dimsOffset)
        }
        var raw: [UInt64] = []
        for axis in 0..<Int(dimensionCount) {
            let axisOffset = c.offset
            let value = try c.u64("ne[\(axis)] of tensor '\(name)'")
            guard value <= UInt64(Int64.max) else {
                throw .invalidDimension(tensor: name, index: axis, value: value, offset: axisOffset)
            }
            raw.append(value)
        }
        let ne = raw.map { Int($0) }
        var elementCount = 1
        for n in ne {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: n)
            guard !overflow else { throw .elementCountOverflow(tensor: name, ne: raw, offset: dimsOffset + 4) }
            elementCount = product
        }

        let typeOffset = c.offset
        let typeID = try c.u32("type of tensor '\(name)'")
        guard let type = GGMLType(rawValue: typeID) else {
            throw .unsupportedTensorType(tensor: name, typeID: typeID, offset: typeOffset)
        }
        guard ne[0] % type.blockSize == 0 else {
            throw .rowNotMultipleOfBlock(tensor: name, ne0: ne[0], type: type, offset: dimsOffset + 4)
        }
        guard let byteCount = type.byteCount(elementCount: elementCount) else {
            throw .elementCountOverflow(tensor: name, ne: raw, offset: dimsOffset + 4)
        }

        let offsetOffset = c.offset
        let dataOffset = try c.u64("data offset of tensor '\(name)'")
        guard dataOffset % UInt64(alignment) == 0 else {
            throw .misalignedTensor(tensor: name, dataOffset: dataOffset, alignment: alignment, offset: offsetOffset)
        }
        guard let offset = Int(exactly: dataOffset) else {
            throw .tensorDataOutOfBounds(tensor: name, start: dataOffset, byteCount: byteCount, fileSize: c.bytes.count)
        }
        return GGUFTensorInfo(name: name, shape: ne.reversed(), ne: ne, type: type, offset: offset,
                              elementCount: elementCount, byteCount: byteCount, infoOffset: infoOffset)
    }
}
