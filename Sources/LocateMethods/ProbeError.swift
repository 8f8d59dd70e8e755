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
    public var line: Int? { location.line }

    /// The record index, when the error is in an element of a JSON array.
    public var record: Int? { location.record }

    /// The same error placed in a file at a location.
    func at(_ file: String, _ location: Location) -> ProbeError {
        ProbeError(file: file, location: location, field: field, problem: problem)
    }

    public var description: String {
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
        case let .duplicateID(id, first): what = "id \"\(id)\" is already used at \(first.place(in: ""))"
        }
        return location.message(file: file, field: field, what)
    }
}

/// The location formatting shared by probe and KLoB file errors.
extension ProbeError.Location {
    /// The line number of a JSONL location.
    public var line: Int? {
        if case .line(let n) = self { return n }
        return nil
    }

    /// The record index of a JSON-array location.
    public var record: Int? {
        if case .record(let n) = self { return n }
        return nil
    }

    /// `file:7`, `file record [3]`, `line 7`, `record [3]`, the file alone, or "".
    func place(in file: String) -> String {
        switch self {
        case .file: file
        case .line(let n): file.isEmpty ? "line \(n)" : "\(file):\(n)"
        case .record(let n): (file.isEmpty ? "" : file + " ") + "record [\(n)]"
        }
    }

    /// `place: field "f": what`, each part only when there is one.
    func message(file: String, field: String?, _ what: String) -> String {
        let place = place(in: file)
        return (place.isEmpty ? "" : place + ": ") + (field.map { "field \"\($0)\": " } ?? "") + what
    }
}
