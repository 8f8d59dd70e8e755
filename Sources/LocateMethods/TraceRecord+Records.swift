import Foundation
import LocateBatch

/// The records file of a batch causal trace: a header with the ``TraceSettings``, then one
/// ``TraceRecord`` per line.
public typealias TraceRecordsFile = RecordsFile<TraceRecord, TraceSettings>

/// Trace records that cannot be resumed, merged or averaged.
public enum TraceBatchError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A records file written before records files had headers, which a run cannot append to.
    case legacyRecords(path: String)
    /// A headerless (older) records file whose records were traced with different settings.
    case legacySettingsMismatch(path: String, id: String, setting: String, first: String, record: String)
    /// Nothing to average: no record is of a fact the model knows.
    case noCorrectFacts(records: Int)

    public var description: String {
        switch self {
        case let .legacyRecords(path):
            return "\(path) holds trace records written by an older locate, without a header, so this run cannot append to it"
                + "\nHINT: `locate trace merge \(path) --out NEW_FOLDER` converts it (then resume with --out NEW_FOLDER); or use another --out folder, or --force to start over."
        case let .legacySettingsMismatch(path, id, setting, first, record):
            return "\(path): the record \"\(id)\" was traced with \(setting) \(record), the file's first records with \(first)"
                + "\nHINT: only records of one run can be read together; split the file or rerun."
        case let .noCorrectFacts(records): return "none of the \(records) records is a fact the model knows: there is nothing to average"
        }
    }
}

extension TraceRecord {
    /// Reads a trace records file: one with a header, or a headerless file of an older locate,
    /// whose settings are then taken from its records (which must agree). A torn last line is left
    /// out; the file is not changed.
    /// - Throws: ``RecordsError`` (unreadable file, malformed line, other kind or version) and
    ///   ``TraceBatchError/legacySettingsMismatch(path:id:setting:first:record:)``.
    public static func readFile(_ url: URL) throws -> TraceRecordsFile.Contents {
        do { return try TraceRecordsFile.read(url, format: format) } catch .missingHeader {
            return try readLegacy(url)
        }
    }

    /// The records of a trace records file (``readFile(_:)``).
    public static func read(contentsOf url: URL) throws -> [TraceRecord] { try readFile(url).records }

    /// A headerless file: every line a record, the last possibly torn.
    static func readLegacy(_ url: URL) throws -> TraceRecordsFile.Contents {
        var bytes = [UInt8](try Data(contentsOf: url))
        if let last = JSONLines.lines(in: bytes).last, !last.terminated { bytes.removeSubrange(last.range) }
        let records = try JSONLines.decodeAll(TraceRecord.self, from: bytes, path: url.path)
        if let m = TraceSettings.firstMismatch(in: records) {
            throw TraceBatchError.legacySettingsMismatch(path: url.path, id: m.record.id, setting: m.setting, first: m.mine, record: m.other)
        }
        var settings = records.first?.settings
            ?? TraceSettings(model: "", noiseLevel: 0, samples: 0, window: 0, seed: 0, kinds: nil)
        settings.kinds = records.first(where: \.correct)?.tracedKinds ?? settings.kinds ?? []
        return TraceRecordsFile.Contents(url: url, settings: settings, records: records)
    }

    /// Records of several files (shards of one run) as one list: one record per probe id (the
    /// first file's), ordered by ``index`` (the order of the probe list), so shards merge into what
    /// one run writes.
    /// - Throws: ``RecordsError/mergeMismatch(first:other:setting:firstValue:otherValue:)`` when
    ///   the files were traced with different settings.
    public static func merge(_ parts: [TraceRecordsFile.Contents]) throws(RecordsError) -> (settings: TraceSettings, records: [TraceRecord]) {
        let (settings, records) = try TraceRecordsFile.merge(parts)
        return (settings, records.enumerated().sorted { ($0.element.index, $0.offset) < ($1.element.index, $1.offset) }.map(\.element))
    }

    /// Reads the files (``readFile(_:)``, headerless ones of older runs included), merges them
    /// (``merge(_:)``) and writes the result with a header to `url`.
    /// - Returns: the merged records as written.
    @discardableResult
    public static func merge(files: [URL], into url: URL) throws -> [TraceRecord] {
        let (settings, records) = try merge(try files.map(readFile))
        try TraceRecordsFile.write(records, format: format, settings: settings, to: url)
        return records
    }
}
