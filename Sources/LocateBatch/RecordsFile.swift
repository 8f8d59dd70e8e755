import Foundation
import LocateCore

/// An append-only JSON-lines file of records: a ``RecordsHeader`` line naming the kind, version
/// and settings of the records, then one record per line.
///
///     let file = try RecordsFile<TraceRecord, TraceSettings>.open(url, format: TraceRecord.format, settings: settings)
///     for probe in probes where !file.contains(id: probe.id) { try file.append(try trace(probe)) }
///
/// Opening resumes: the records already in the file are read into ``records``; a file made with
/// other settings is refused (``RecordsError/settingsMismatch(path:setting:file:run:)`` names the
/// setting); a torn last line — one without its newline, or one that does not decode, which is
/// what a run killed while writing leaves — is cut off so appending goes on after the last whole
/// record; a malformed line before the last is an error with its line number.
///
/// Appending costs the same however long the file is: each record is encoded, written with one
/// `write` at the end of the file and flushed to disk (`fsync`) before ``append(_:)`` returns, so
/// a kill loses at most the record being written and never rewrites earlier bytes.
public final class RecordsFile<Record: Codable, Settings: Codable & Equatable> {
    /// Where the file is.
    public let url: URL
    /// The header: the kind, version and settings of the records.
    public let header: RecordsHeader<Settings>
    /// The records in file order: those read when opening, then those appended.
    public private(set) var records: [Record]
    /// Whether opening cut off a torn last line.
    public let repaired: Bool
    /// How many records were in the file when it was opened.
    public let resumedCount: Int
    /// Bytes this value has written to the file (header and appended lines): one line per
    /// append, never a rewrite.
    public private(set) var bytesWritten = 0
    /// Whether each append is flushed to disk before returning.
    public let durable: Bool

    private let handle: FileHandle
    private let lock: RecordsLock
    /// The process of an earlier run that died while writing this file (its lock file was left
    /// behind), if any: the file was resumed after it.
    public var stalePID: Int? { lock.stalePID }

    /// How to treat an existing file when opening.
    public enum OpenMode: Sendable {
        /// Keep its records and append after them (a missing file is created).
        case resume
        /// Start the file over with only a header (`--force`).
        case overwrite
    }

    /// Opens `url` to append records of `format` made with `settings`, creating it (and its
    /// folder) when missing.
    /// - Parameters:
    ///   - mode: ``OpenMode/resume`` keeps the file's records; ``OpenMode/overwrite`` discards them.
    ///   - durable: flush each append to disk (on by default; off only for tests of speed).
    /// - Throws: ``RecordsError`` when the file cannot be read or written, is of another kind or
    ///   version, was made with other settings, or has a malformed line before its last.
    public static func open(_ url: URL, format: RecordsFormat, settings: Settings, mode: OpenMode = .resume,
                            durable: Bool = true) throws(RecordsError) -> RecordsFile {
        let header = RecordsHeader(format, settings: settings)
        let manager = FileManager.default
        do { try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true) } catch {
            throw .unwritable(path: url.path, reason: "cannot create its folder: \(error.localizedDescription)")
        }
        // The lock comes first: a second writer must not read, repair or truncate the file.
        let lock = try RecordsLock(for: url)
        var scan = Scan<Record, Settings>(header: nil, records: [], validLength: 0, torn: false)
        if mode == .resume, manager.fileExists(atPath: url.path) {
            scan = try Scan(bytes: try readBytes(url), path: url.path, format: format)
            if let found = scan.header?.settings, let d = firstDifference(found, settings) {
                throw .settingsMismatch(path: url.path, setting: d.setting, file: d.first, run: d.second)
            }
        } else if !manager.createFile(atPath: url.path, contents: nil) {
            throw .unwritable(path: url.path, reason: "cannot create the file (is the folder writable?)")
        }
        let handle: FileHandle
        do {
            handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: UInt64(scan.validLength))
        } catch { throw .unwritable(path: url.path, reason: error.localizedDescription) }
        let file = RecordsFile(url: url, header: header, records: scan.records, repaired: scan.torn, handle: handle, lock: lock,
                               durable: durable)
        if scan.header == nil { try file.write(try encodeLine(header, path: url.path)) }
        return file
    }

    private init(url: URL, header: RecordsHeader<Settings>, records: [Record], repaired: Bool, handle: FileHandle, lock: RecordsLock,
                 durable: Bool) {
        self.url = url; self.header = header; self.records = records; self.repaired = repaired
        self.resumedCount = records.count; self.handle = handle; self.lock = lock; self.durable = durable
    }

    deinit { try? handle.close() }

    /// Appends `record` as one line at the end of the file and, when ``durable``, flushes it to
    /// disk; earlier bytes are never read or rewritten.
    /// - Throws: ``RecordsError/unwritable(path:reason:)`` when the record cannot be encoded or written.
    public func append(_ record: Record) throws(RecordsError) {
        try write(try Self.encodeLine(record, path: url.path))
        records.append(record)
    }

    private func write(_ line: Data) throws(RecordsError) {
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
            if durable { try handle.synchronize() }
        } catch { throw .unwritable(path: url.path, reason: error.localizedDescription) }
        bytesWritten += line.count
    }

    static func encodeLine<Value: Encodable>(_ value: Value, path: String) throws(RecordsError) -> Data {
        do { return try JSONLines.encode(value) } catch {
            throw .unwritable(path: path, reason: "a record cannot be written as JSON: \(error)")
        }
    }

    static func readBytes(_ url: URL) throws(RecordsError) -> [UInt8] {
        do { return [UInt8](try Data(contentsOf: url)) } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw .unreadable(path: url.path, reason: exists ? error.localizedDescription : "no such file")
        }
    }
}

extension RecordsFile {
    /// A records file read whole, without opening it for appending.
    public struct Contents {
        /// The file read.
        public var url: URL
        /// Its header's settings.
        public var settings: Settings
        /// Its records in file order (a torn last line left out).
        public var records: [Record]

        /// Contents; see the properties.
        public init(url: URL, settings: Settings, records: [Record]) {
            self.url = url; self.settings = settings; self.records = records
        }
    }

    /// Reads a records file of `format` without changing it: a torn last line is left out, not cut off.
    /// - Throws: ``RecordsError`` when the file is missing or unreadable, has no header
    ///   (``RecordsError/missingHeader(path:kind:)``), is of another kind or version, or has a
    ///   malformed line before its last.
    public static func read(_ url: URL, format: RecordsFormat) throws(RecordsError) -> Contents {
        let scan = try Scan<Record, Settings>(bytes: try readBytes(url), path: url.path, format: format)
        guard let header = scan.header else { throw .missingHeader(path: url.path, kind: format.kind) }
        return Contents(url: url, settings: header.settings, records: scan.records)
    }

    /// Writes a whole records file at once (atomically: a temporary file renamed into place), for
    /// a merge's output; appending goes through ``open(_:format:settings:mode:durable:)``.
    /// - Throws: ``RecordsError/unwritable(path:reason:)``.
    public static func write(_ records: [Record], format: RecordsFormat, settings: Settings, to url: URL) throws(RecordsError) {
        var data = try encodeLine(RecordsHeader(format, settings: settings), path: url.path)
        for record in records { data.append(try encodeLine(record, path: url.path)) }
        do { try AtomicFile.write(data, to: url) } catch { throw .unwritable(path: url.path, reason: error.reason) }
    }
}

extension RecordsFile.Contents: Sendable where Record: Sendable, Settings: Sendable {}
