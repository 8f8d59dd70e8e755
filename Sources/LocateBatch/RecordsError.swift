import Foundation

/// A records file could not be read, written, resumed or merged. Each case names the file and,
/// where one is known, the fix.
public enum RecordsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// The file cannot be created, appended to or repaired.
    case unwritable(path: String, reason: String)
    /// The first line is not a records header: a file of another tool, or one written before
    /// records files had headers.
    case missingHeader(path: String, kind: String)
    /// The header is there but cannot be read (`reason`).
    case malformedHeader(path: String, reason: String)
    /// The file holds records of another kind (`found`, e.g. "neurons" in a trace folder).
    case kindMismatch(path: String, found: String, expected: String)
    /// The file's records are of another format version than this build writes.
    case versionMismatch(path: String, kind: String, found: Int, expected: Int)
    /// The file's records were made with other settings: `setting` is `file` there and `run` here.
    case settingsMismatch(path: String, setting: String, file: String, run: String)
    /// A line (counted from 1) that is not the last is not a record.
    case malformedLine(path: String, line: Int, reason: String)
    /// Two files to merge hold records made with different settings.
    case mergeMismatch(first: String, other: String, setting: String, firstValue: String, otherValue: String)
    /// Nothing to merge.
    case nothingToMerge
    /// Another live process (`pid`, when its lock file names one) is writing this file.
    case busy(path: String, pid: Int?)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "cannot read the records file \(path): \(reason)"
        case let .unwritable(path, reason): return "cannot write the records file \(path): \(reason)"
        case let .missingHeader(path, kind):
            return "\(path) does not start with a records header (it was written by an older locate, or is not a \(kind) records file)"
                + "\nHINT: rerun into another --out folder, or pass --force to start this file over."
        case let .malformedHeader(path, reason):
            return "\(path):1: the records header cannot be read: \(reason)\nHINT: use another --out folder, or pass --force to start the file over."
        case let .kindMismatch(path, found, expected):
            return "\(path) holds \(found) records, not \(expected) records\nHINT: use another --out folder."
        case let .versionMismatch(path, kind, found, expected):
            return "\(path) holds \(kind) records of format version \(found); this locate reads and writes version \(expected)"
                + "\nHINT: rerun into another --out folder (or pass --force to start this file over)."
        case let .settingsMismatch(path, setting, file, run):
            return "\(path) holds records made with \(setting) \(file), but this run uses \(setting) \(run)"
                + "\nHINT: use another --out folder, rerun with the file's settings to resume, or pass --force to start the file over."
        case let .malformedLine(path, line, reason):
            return "\(path):\(line): not a record: \(reason)\nHINT: remove or fix that line (only a broken last line is repaired by itself), or start a new --out folder."
        case let .mergeMismatch(first, other, setting, firstValue, otherValue):
            return "cannot merge \(other) with \(first): its records were made with \(setting) \(otherValue), the other's with \(firstValue)"
                + "\nHINT: only shards of one run (same settings) can be merged."
        case .nothingToMerge: return "no records files to merge"
        case let .busy(path, pid):
            return "another locate run\(pid.map { " (process \($0))" } ?? "") is writing \(path)"
                + "\nHINT: wait for it to finish (it resumes where it is), or give this run another --out folder."
        }
    }

    /// A decoding error in one line: the coding path and the debug description, not the whole
    /// underlying error.
    static func brief(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return keys.isEmpty ? context.debugDescription : "\(keys): \(context.debugDescription)"
        }
        switch error {
        case let .keyNotFound(key, context): return "missing \"\(key.stringValue)\"" + (context.codingPath.isEmpty ? "" : " in \(path(context))")
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context): return path(context)
        @unknown default: return String(describing: error)
        }
    }
}
