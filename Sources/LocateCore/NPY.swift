import Foundation

/// Reads and writes numpy `.npy` files (format version 1.0/2.0, little-endian, C order), the
/// interchange format for activations, scores and reference fixtures.
///
/// Supported element types: `<f4` (Float), `<f8` (Double), `<i4`, `<i8`.
public struct NPYArray: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case float32([Float])
        case float64([Double])
        case int32([Int32])
        case int64([Int64])
    }
    public var shape: [Int]
    public var storage: Storage

    public init(shape: [Int], storage: Storage) {
        self.shape = shape; self.storage = storage
    }
    public init(shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count, "shape \(shape) does not hold \(floats.count) values")
        self.shape = shape; self.storage = .float32(floats)
    }
    public init(shape: [Int], doubles: [Double]) {
        precondition(shape.reduce(1, *) == doubles.count, "shape \(shape) does not hold \(doubles.count) values")
        self.shape = shape; self.storage = .float64(doubles)
    }

    /// Values widened or narrowed to Float.
    public var floats: [Float] {
        switch storage {
        case .float32(let v): return v
        case .float64(let v): return v.map { Float($0) }
        case .int32(let v): return v.map { Float($0) }
        case .int64(let v): return v.map { Float($0) }
        }
    }
    /// Values as Double.
    public var doubles: [Double] {
        switch storage {
        case .float32(let v): return v.map { Double($0) }
        case .float64(let v): return v
        case .int32(let v): return v.map { Double($0) }
        case .int64(let v): return v.map { Double($0) }
        }
    }
}

/// A malformed `.npy` file; the message names what is wrong.
public struct NPYError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): not a readable .npy file: \(reason)" }
}

public enum NPY {
    public static func read(_ url: URL) throws(NPYError) -> NPYArray {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw NPYError(path: url.path, reason: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(data, path: url.path)
    }

    public static func parse(_ data: Data, path: String = "<memory>") throws(NPYError) -> NPYArray {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw NPYError(path: path, reason: "missing the \\x93NUMPY magic")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw NPYError(path: path, reason: "truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw NPYError(path: path, reason: "unsupported format version \(major)")
        }
        guard headerStart + headerLength <= bytes.count,
              let header = String(bytes: bytes[headerStart..<headerStart + headerLength], encoding: .utf8) else {
            throw NPYError(path: path, reason: "truncated or non-UTF-8 header")
        }
        guard let descr = field("descr", in: header), let shapeText = field("shape", in: header) else {
            throw NPYError(path: path, reason: "header lacks descr or shape: \(header)")
        }
        if let order = field("fortran_order", in: header), order.hasPrefix("True") {
            throw NPYError(path: path, reason: "Fortran-ordered arrays are not supported; save with C order")
        }
        let shape = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        let body = headerStart + headerLength
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "' \""))
        let width: Int
        switch dtype {
        case "<f4", "<i4": width = 4
        case "<f8", "<i8": width = 8
        default: throw NPYError(path: path, reason: "unsupported dtype \(dtype); use <f4, <f8, <i4 or <i8")
        }
        guard bytes.count - body >= count * width else {
            throw NPYError(path: path, reason: "data holds \(bytes.count - body) bytes, shape \(shape) needs \(count * width)")
        }
        return bytes.withUnsafeBytes { raw -> NPYArray in
            let base = raw.baseAddress!.advanced(by: body)
            switch dtype {
            case "<f4":
                var v = [Float](repeating: 0, count: count)
                v.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: count * 4)) }
                return NPYArray(shape: shape, storage: .float32(v))
            case "<f8":
                var v = [Double](repeating: 0, count: count)
                v.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: count * 8)) }
                return NPYArray(shape: shape, storage: .float64(v))
            case "<i4":
                var v = [Int32](repeating: 0, count: count)
                v.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: count * 4)) }
                return NPYArray(shape: shape, storage: .int32(v))
            default:
                var v = [Int64](repeating: 0, count: count)
                v.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: count * 8)) }
                return NPYArray(shape: shape, storage: .int64(v))
            }
        }
    }

    /// Serializes an array as a version-1.0 `.npy` (header padded to 64 bytes, as numpy does).
    public static func encode(_ array: NPYArray) -> Data {
        let descr: String
        switch array.storage {
        case .float32: descr = "<f4"
        case .float64: descr = "<f8"
        case .int32: descr = "<i4"
        case .int64: descr = "<i8"
        }
        let shapeText = array.shape.count == 1 ? "(\(array.shape[0]),)" : "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        out.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        out.append(contentsOf: Array(header.utf8))
        switch array.storage {
        case .float32(let v): v.withUnsafeBytes { out.append(contentsOf: $0) }
        case .float64(let v): v.withUnsafeBytes { out.append(contentsOf: $0) }
        case .int32(let v): v.withUnsafeBytes { out.append(contentsOf: $0) }
        case .int64(let v): v.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return out
    }

    public static func write(_ array: NPYArray, to url: URL) throws(FileWriteError) {
        try AtomicFile.write(encode(array), to: url)
    }

    private static func field(_ name: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(name)':") else { return nil }
        let rest = header[range.upperBound...].drop(while: { $0 == " " })
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[rest.startIndex...close])
        }
        let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) ?? rest.endIndex
        return String(rest[rest.startIndex..<end])
    }
}
