import Foundation
import LocateBatch

/// A small record for the tests: an id, a number and some text.
struct Row: Codable, Identifiable, Equatable, Sendable {
    var id: String
    var value: Int
    var text: String
}

/// Settings of ``Row`` files.
struct RowSettings: Codable, Equatable, Sendable {
    var model: String = "model.gguf"
    var samples: Int = 10
    var noiseLevel: Double = 0.3

    enum CodingKeys: String, CodingKey { case model, samples, noiseLevel = "noise_level" }
}

typealias RowsFile = RecordsFile<Row, RowSettings>

let rowsFormat = RecordsFormat(kind: "rows", version: 1)

func row(_ i: Int) -> Row { Row(id: "r\(i)", value: i * i, text: "row \(i) of the test, with a \"quote\" and a / slash") }

/// A fresh folder under the temporary directory; remove it when done.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("records-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A file of `rows` written through ``RecordsFile/open(_:format:settings:mode:durable:)`` and appends.
@discardableResult
func writeRows(_ rows: [Row], to url: URL, settings: RowSettings = RowSettings()) throws -> RowsFile {
    let file = try RowsFile.open(url, format: rowsFormat, settings: settings)
    for r in rows { try file.append(r) }
    return file
}
