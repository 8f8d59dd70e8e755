import Foundation

extension RecordsFile where Record: Identifiable {
    /// The ids of the records in the file (read or appended): what a resumed run can skip.
    public var doneIDs: Set<Record.ID> { Set(records.map(\.id)) }

    /// One record per id, the last line of each id winning (a later line supersedes an earlier
    /// one, as when a profile gains a method), at the position of the id's first line.
    public var latest: [Record] { latestByID(records) }
}

extension RecordsFile.Contents where Record: Identifiable {
    /// As ``RecordsFile/latest``.
    public var latest: [Record] { latestByID(records) }
}

/// One record per id, the last of each id winning, in order of first appearance.
public func latestByID<Record: Identifiable>(_ records: [Record]) -> [Record] {
    var position: [Record.ID: Int] = [:]
    var out: [Record] = []
    for record in records {
        if let i = position[record.id] { out[i] = record } else { position[record.id] = out.count; out.append(record) }
    }
    return out
}

extension RecordsFile where Record: Identifiable {
    /// Combines the contents of several records files (shards of one run) into one record set:
    /// the settings must agree, each file is reduced to its ``Contents/latest`` records, and of an
    /// id found in several files the first file's record is kept. The result is in file order;
    /// sort it as the kind requires.
    /// - Throws: ``RecordsError/mergeMismatch(first:other:setting:firstValue:otherValue:)`` naming
    ///   the two files and the setting; ``RecordsError/nothingToMerge`` for no files.
    public static func merge(_ parts: [Contents]) throws(RecordsError) -> (settings: Settings, records: [Record]) {
        guard let first = parts.first else { throw .nothingToMerge }
        var seen = Set<Record.ID>(), records: [Record] = []
        for part in parts {
            if let d = firstDifference(first.settings, part.settings) {
                throw .mergeMismatch(first: first.url.path, other: part.url.path, setting: d.setting, firstValue: d.first, otherValue: d.second)
            }
            for record in part.latest where seen.insert(record.id).inserted { records.append(record) }
        }
        return (first.settings, records)
    }

    /// Reads the files, merges them (``merge(_:)``) and writes the result, sorted by `order`, to
    /// `url` with the shared settings in its header.
    /// - Returns: the merged records as written.
    /// - Throws: ``RecordsError`` from reading, merging or writing.
    @discardableResult
    public static func merge(_ urls: [URL], format: RecordsFormat, into url: URL,
                             by order: (Record, Record) -> Bool) throws(RecordsError) -> [Record] {
        var parts: [Contents] = []
        for input in urls { parts.append(try read(input, format: format)) }
        let (settings, records) = try merge(parts)
        let sorted = records.sorted(by: order)
        try write(sorted, format: format, settings: settings, to: url)
        return sorted
    }

    /// The records files in `folders` (and the files given directly) whose name starts with
    /// `prefix` and ends with `.jsonl`, folders' files in name order.
    /// - Throws: ``RecordsError/unreadable(path:reason:)`` for a path that does not exist.
    public static func files(in inputs: [String], prefix: String) throws(RecordsError) -> [URL] {
        var files: [URL] = []
        for input in inputs {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else {
                throw .unreadable(path: input, reason: "no such file or folder")
            }
            guard isFolder.boolValue else { files.append(URL(fileURLWithPath: input)); continue }
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: input)) ?? [])
                .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".jsonl") }.sorted()
            files += names.map { URL(fileURLWithPath: input).appendingPathComponent($0) }
        }
        return files
    }
}
