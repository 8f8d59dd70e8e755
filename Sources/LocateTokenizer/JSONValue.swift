import Foundation

/// A parsed JSON value, for reading `tokenizer.json`.
///
/// Decoded with `JSONDecoder` rather than `JSONSerialization`, because the latter (on Linux)
/// strips a leading U+FEFF from strings, which would silently change a token.
enum JSONValue: Decodable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var string: String? { if case .string(let value) = self { return value }; return nil }
    var bool: Bool? { if case .bool(let value) = self { return value }; return nil }
    var array: [JSONValue]? { if case .array(let value) = self { return value }; return nil }
    var object: [String: JSONValue]? { if case .object(let value) = self { return value }; return nil }
    var isNull: Bool { if case .null = self { return true }; return false }

    /// The value as an integer, when it is a number with no fractional part.
    var int: Int? {
        guard case .number(let value) = self, value == value.rounded(), abs(value) < 9e15 else { return nil }
        return Int(value)
    }

    /// Compact JSON text, shortened for error messages.
    var description: String {
        let text: String
        switch self {
        case .null: text = "null"
        case .bool(let value): text = String(value)
        case .number(let value): text = value == value.rounded() && abs(value) < 9e15 ? String(Int(value)) : String(value)
        case .string(let value): text = value.debugDescription
        case .array(let values): text = "[" + values.map(\.description).joined(separator: ",") + "]"
        case .object(let object):
            text = "{" + object.keys.sorted().map { "\($0.debugDescription):\(object[$0]!.description)" }
                .joined(separator: ",") + "}"
        }
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}
