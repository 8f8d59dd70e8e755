import Foundation

/// What a kind of records file is called and which version of its records this build writes,
/// e.g. `RecordsFormat(kind: "trace", version: 2)`.
public struct RecordsFormat: Sendable, Equatable {
    /// A short name of the records ("trace", "neurons", "profiles"), written in the header.
    public let kind: String
    /// The record format's version; a file of another version is refused, not misread.
    public let version: Int

    /// A format; see the properties.
    public init(kind: String, version: Int) {
        self.kind = kind; self.version = version
    }
}

/// The first line of every records file: the format's tag, the kind and version of the records
/// and the settings that made them, so a run resuming the file (or a merge of several) can tell
/// whether the records belong together. Written as one JSON object with sorted keys:
///
///     {"format":"locate-records","kind":"trace","settings":{"model":"m.gguf",…},"version":2}
///
/// As llm.c's files start with a magic number and a version, a records file names what it is
/// before any record (STYLE.md §8).
public struct RecordsHeader<Settings: Codable & Equatable>: Codable, Equatable {
    /// The tag every records header carries.
    public static var tag: String { "locate-records" }

    /// ``tag``.
    public var format: String
    /// ``RecordsFormat/kind`` and ``RecordsFormat/version``.
    public var kind: String
    public var version: Int
    /// The settings shared by every record of the file.
    public var settings: Settings

    /// The header of a file of `format` holding records made with `settings`.
    public init(_ format: RecordsFormat, settings: Settings) {
        self.format = Self.tag; self.kind = format.kind; self.version = format.version; self.settings = settings
    }

    /// The format named by the header.
    public var recordsFormat: RecordsFormat { RecordsFormat(kind: kind, version: version) }
}

/// Just the tag, kind and version of a header, read before its settings so that a file of another
/// kind or version is named as such rather than as undecodable settings.
struct HeaderTag: Decodable {
    var format: String?
    var kind: String?
    var version: Int?
}

/// The first setting in which two settings values differ, as (name, first value, second value),
/// each value as JSON text; nil when they are equal. Settings are compared by their JSON
/// objects' top-level keys in sorted order, so the name is the key as written in the header.
public func firstDifference<Settings: Encodable & Equatable>(_ a: Settings, _ b: Settings) -> (setting: String, first: String, second: String)? {
    guard a != b else { return nil }
    let encoder = JSONLines.encoder()
    guard let dataA = try? encoder.encode(a), let dataB = try? encoder.encode(b),
          let objectA = try? JSONSerialization.jsonObject(with: dataA) as? [String: Any],
          let objectB = try? JSONSerialization.jsonObject(with: dataB) as? [String: Any] else {
        return ("settings", String(describing: a), String(describing: b))
    }
    func text(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "none" }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]) else {
            return String(describing: value)
        }
        return String(decoding: data, as: UTF8.self)
    }
    for key in Set(objectA.keys).union(objectB.keys).sorted() {
        let x = text(objectA[key]), y = text(objectB[key])
        if x != y { return (key, x, y) }
    }
    return ("settings", text(objectA), text(objectB))
}
