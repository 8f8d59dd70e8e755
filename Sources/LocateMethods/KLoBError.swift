import Foundation

/// A KLoB file, or a source file a KLoB set is built from, could not be read or written, or one of
/// its records is malformed. Names the file, where in it (a 1-based line of a JSONL file, a 0-based
/// record of a JSON array) and the field (`prompts[2]`, `knowledge_chain`, `[3][0]`).
///
///     klob-c.jsonl:7: field "knowledge": wrong count: expected 3 elements, found 2
public struct KLoBError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the file (the same places as a probe file's).
    public typealias Location = ProbeError.Location

    /// What is wrong.
    public enum Problem: Sendable, Equatable {
        /// The file could not be read (missing, unreadable, not UTF-8).
        case unreadable(String)
        /// The file could not be written.
        case unwritable(String)
        /// The content is not what was expected (not KLoB JSONL, not a ParaRel or portability file).
        case unknownFormat(String)
        /// The text is not valid JSON.
        case invalidJSON(String)
        /// A required field is absent.
        case missingField
        /// A field has the wrong JSON type.
        case wrongType(expected: String)
        /// A list has the wrong number of elements.
        case wrongCount(expected: String, found: Int)
        /// A prompt does not end in the `_` answer slot.
        case noSlot(String)
        /// A prompt is only the slot (nothing to run before it).
        case emptyPrompt
        /// The record belongs to another subset than the file's (a klob-r record in a klob-c file).
        case wrongSubset(expected: KLoBSubset, found: KLoBSubset)
        /// A field's value breaks a rule.
        case invalidValue(String)
    }

    /// The file's path as given (empty when the item did not come from a file).
    public var file: String
    public var location: Location
    /// The field at fault as a path inside the record, or nil.
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
    func at(_ file: String, _ location: Location) -> KLoBError {
        KLoBError(file: file, location: location, field: field, problem: problem)
    }

    /// A probe-file error (from the shared field readers or ``Probe``) as a KLoB error.
    init(_ error: ProbeError, file: String? = nil, location: Location? = nil) {
        let problem: Problem
        switch error.problem {
        case .unreadable(let r): problem = .unreadable(r)
        case .unwritable(let r): problem = .unwritable(r)
        case .unknownFormat(let r): problem = .unknownFormat(r)
        case .invalidJSON(let r): problem = .invalidJSON(r)
        case .missingField: problem = .missingField
        case .wrongType(let expected): problem = .wrongType(expected: expected)
        default:
            var bare = error
            bare.file = ""
            bare.location = .file
            bare.field = nil
            problem = .invalidValue(bare.description)
        }
        self.init(file: file ?? error.file, location: location ?? error.location, field: error.field, problem: problem)
    }

    public var description: String {
        let what: String
        switch problem {
        case .unreadable(let reason): what = "cannot read the file: \(reason)"
        case .unwritable(let reason): what = "cannot write the file: \(reason)"
        case .unknownFormat(let reason): what = "not a usable file: \(reason)"
        case .invalidJSON(let reason): what = "invalid JSON: \(reason)"
        case .missingField: what = "missing"
        case .wrongType(let expected): what = "must be \(expected)"
        case let .wrongCount(expected, found): what = "wrong count: expected \(expected) elements, found \(found)"
        case .noSlot(let text): what = "must end in the answer slot \" _\": \"\(text)\""
        case .emptyPrompt: what = "has no text before the answer slot"
        case let .wrongSubset(expected, found): what = "a \(found) record in a \(expected) file"
        case .invalidValue(let reason): what = reason
        }
        return location.message(file: file, field: field, what)
    }
}
