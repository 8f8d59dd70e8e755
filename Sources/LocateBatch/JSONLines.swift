import Foundation

/// The JSON-lines codec every records file of this project shares: one JSON value per line, keys
/// sorted and slashes unescaped (so files diff cleanly and read the same everywhere), non-finite
/// floats written as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`.
///
///     let line = try JSONLines.encode(record)          // ends with "\n"
///     for line in JSONLines.lines(in: data) { … }       // ranges of each line, newline excluded
///
/// The line scanner is the only place that splits a records file into lines; ``RecordsFile``
/// builds resume, repair and merge on it.
public enum JSONLines {
    /// One line of a file: its number (counted from 1), its bytes without the newline, and
    /// whether the newline was there (the last line of a file cut short has none).
    public struct Line: Sendable, Equatable {
        public var number: Int
        public var range: Range<Int>
        public var terminated: Bool

        /// Whether the line holds only spaces, tabs or a carriage return.
        public func isBlank(in bytes: [UInt8]) -> Bool {
            bytes[range].allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 }
        }
    }

    /// The lines of `bytes`, in order; a final newline does not start an empty line.
    public static func lines(in bytes: [UInt8]) -> [Line] {
        var out: [Line] = []
        var start = 0, number = 0
        while start < bytes.count {
            number += 1
            if let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
                out.append(Line(number: number, range: start..<newline, terminated: true))
                start = newline + 1
            } else {
                out.append(Line(number: number, range: start..<bytes.count, terminated: false))
                start = bytes.count
            }
        }
        return out
    }

    /// The encoder of every line: sorted keys, unescaped slashes, non-finite floats as strings.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    /// The decoder matching ``encoder()``.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    /// `value` as one line of JSON, newline included.
    /// - Throws: the encoder's error (a value that cannot be JSON).
    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        try encoder().encode(value) + Data("\n".utf8)
    }

    /// Decodes every non-blank line of `bytes` as `Value`, strictly: a line that does not decode
    /// is an error naming it, whether it is the last or not.
    /// - Throws: ``RecordsError/malformedLine(path:line:reason:)``.
    public static func decodeAll<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8], path: String,
                                                   skipping skipped: Int = 0) throws(RecordsError) -> [Value] {
        let decoder = decoder()
        var out: [Value] = []
        for line in lines(in: bytes).dropFirst(skipped) where !line.isBlank(in: bytes) {
            do { out.append(try decoder.decode(Value.self, from: Data(bytes[line.range]))) } catch {
                throw .malformedLine(path: path, line: line.number, reason: RecordsError.brief(error))
            }
        }
        return out
    }
}
