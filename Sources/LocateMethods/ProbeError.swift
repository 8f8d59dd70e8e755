import Foundation

/// A probe file could not be read or written, or one of its records is malformed. Names the file,
/// where in it (a 1-based line for JSONL, a 0-based record index for JSON arrays) and the field.
public struct ProbeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the file.
    public enum Location: Sendable, Equatable {
        /// The file as a whole.
        case file
        /// A line of a JSONL file, counted from 1.
        case line(Int)
        /// An element of a JSON array, counted from 0 (as in the file's own indexing).
        case record(Int)
    }

    /// What is wrong.
    public enum Problem: Sendable, Equatable {
        /// The file could not be read (missing, unreadable, not UTF-8).
        case unreadable(String)
        /// The file could not be written.
        case unwritable(String)
        /// The content matches none of the supported formats.
        case unknownFormat(String)
        /// The text is not valid JSON.
        case invalidJSON(String)
        /// A required field is absent.
        case missingField
        /// A field has the wrong JSON type.
        case wrongType(expected: String)
        /// A field that the format does not have.
        case unknownField
        /// A field's value breaks a rule.
        case invalidValue(String)
        /// The subject does not occur in the prompt.
        case subjectNotInPrompt(subject: String, prompt: String)
        /// The subject occurs more than once in the prompt (which occurrence is the subject is ambiguous).
        case subjectRepeated(subject: String, prompt: String, count: Int)
        /// Another record already has this id.
        case duplicateID(String, first: Location)
    }

    /// The file's path as given (empty when the probe did not come from a file).
    public var file: String
    public var location: Location
    /// The field at fault, as a path inside the record (`requested_rewrite.target_true.str`), or nil.
    public var field: String?
    public var problem: Problem

    public init(file: String, location: Location = .file, field: String? = nil, problem: Problem) {
        self.file = file
        self.location = location
        self.field = field
        self.problem = problem
    }

    /// The line number, when the error is on a line of a JSONL file.
    public var line: Int? {
        if case .line(let n) = location { return n }
        return nil
    }

    /// The record index, when the error is in an element of a JSON array.
    public var record: Int? {
        if case .record(let n) = location { return n }
        return nil
    }

    /// The same error placed in a file at a location.
    func at(_ file: String, _ location: Location) -> ProbeError {
        ProbeError(file: file, location: location, field: field, problem: problem)
    }

    static func describe(_ location: Location) -> String {
        switch location {
        case .file: return ""
        case .line(let n): return "line \(n)"
        case .record(let n): return "record [\(n)]"
        }
    }

    public var description: String {
        var place = file.isEmpty ? "" : file
        switch location {
        case .file: break
        case .line(let n): place += place.isEmpty ? "line \(n)" : ":\(n)"
        case .record(let n): place += (place.isEmpty ? "" : " ") + "record [\(n)]"
        }
        let what: String
        switch problem {
        case .unreadable(let reason): what = "cannot read the file: \(reason)"
        case .unwritable(let reason): what = "cannot write the file: \(reason)"
        case .unknownFormat(let reason): what = "not a probe file: \(reason)"
        case .invalidJSON(let reason): what = "invalid JSON: \(reason)"
        case .missingField: what = "missing"
        case .wrongType(let expected): what = "must be \(expected)"
        case .unknownField: what = "unknown field (known: id, subject, template, target, relation, paraphrases, prompt)"
        case .invalidValue(let reason): what = reason
        case let .subjectNotInPrompt(subject, prompt): what = "subject \"\(subject)\" does not occur in the prompt \"\(prompt)\""
        case let .subjectRepeated(subject, prompt, count):
            what = "subject \"\(subject)\" occurs \(count) times in the prompt \"\(prompt)\" (it must occur exactly once)"
        case let .duplicateID(id, first): what = "id \"\(id)\" is already used at \(Self.describe(first))"
        }
        let fieldText = field.map { "field \"\($0)\": " } ?? ""
        return (place.isEmpty ? "" : place + ": ") + fieldText + what
    }
}
