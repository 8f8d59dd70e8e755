import Foundation

/// A records file split into its header, its whole records and the length of the bytes worth
/// keeping (everything before a torn last line).
struct Scan<Record: Decodable, Settings: Codable & Equatable> {
    /// Nil for an empty file, or one whose only line is a torn header.
    var header: RecordsHeader<Settings>?
    var records: [Record]
    /// Bytes up to the end of the last whole line.
    var validLength: Int
    /// Whether the last line was torn (no newline, or not decodable) and is left out.
    var torn: Bool

    init(header: RecordsHeader<Settings>?, records: [Record], validLength: Int, torn: Bool) {
        self.header = header; self.records = records; self.validLength = validLength; self.torn = torn
    }

    /// Reads `bytes` as a records file of `format`.
    /// - Throws: ``RecordsError`` for a missing, malformed or mismatched header, and for a
    ///   malformed line that is not the last.
    init(bytes: [UInt8], path: String, format: RecordsFormat) throws(RecordsError) {
        let lines = JSONLines.lines(in: bytes)
        self.init(header: nil, records: [], validLength: 0, torn: false)
        guard let first = lines.first else { return }
        let decoder = JSONLines.decoder()
        let firstData = Data(bytes[first.range])
        let isLast = lines.count == 1
        guard first.terminated, let tag = try? decoder.decode(HeaderTag.self, from: firstData) else {
            if isLast { torn = true; return }            // a header cut short: start the file again
            throw .missingHeader(path: path, kind: format.kind)
        }
        guard tag.format == RecordsHeader<Settings>.tag else { throw .missingHeader(path: path, kind: format.kind) }
        guard tag.kind == format.kind else { throw .kindMismatch(path: path, found: tag.kind ?? "unnamed", expected: format.kind) }
        guard tag.version == format.version else {
            throw .versionMismatch(path: path, kind: format.kind, found: tag.version ?? 0, expected: format.version)
        }
        do { header = try decoder.decode(RecordsHeader<Settings>.self, from: firstData) } catch {
            throw .malformedHeader(path: path, reason: RecordsError.brief(error))
        }
        validLength = first.range.upperBound + 1
        for (position, line) in lines.enumerated().dropFirst() {
            let last = position == lines.count - 1
            if line.terminated && line.isBlank(in: bytes) { validLength = line.range.upperBound + 1; continue }
            do {
                guard line.terminated else { throw RecordsError.malformedLine(path: path, line: line.number, reason: "no newline") }
                records.append(try decoder.decode(Record.self, from: Data(bytes[line.range])))
                validLength = line.range.upperBound + 1
            } catch {
                if last { torn = true; return }
                throw .malformedLine(path: path, line: line.number, reason: RecordsError.brief(error))
            }
        }
    }
}
