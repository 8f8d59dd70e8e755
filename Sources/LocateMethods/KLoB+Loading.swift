import Foundation

/// A KLoB file's content: the valid items, with the line each came from, and an error for every
/// line that is not valid (so `locate klob check` can report them all).
public struct KLoBSet: Sendable, Equatable {
    /// The subset every item belongs to.
    public var subset: KLoBSubset
    /// The valid items, in file order; an item's position is its index in ``prompts()`` ids.
    public var items: [KLoBItem]
    /// The 1-based line of each item in its file (empty for sets not read from a file).
    public var lines: [Int]
    /// One error per invalid line, in file order.
    public var errors: [KLoBError]
    /// Records seen, valid or not (blank lines are not records).
    public var recordCount: Int

    public init(subset: KLoBSubset, items: [KLoBItem], lines: [Int] = [], errors: [KLoBError] = [], recordCount: Int? = nil) {
        self.subset = subset
        self.items = items
        self.lines = lines
        self.errors = errors
        self.recordCount = recordCount ?? items.count
    }
}

extension KLoBSet {
    // MARK: Reading

    /// Reads a KLoB file, refusing it when any line is invalid.
    /// - Parameter subset: the subset the file must hold; nil to detect it from the first record
    ///   (a JSON string: klob-u; an object with `prompts`/`knowledge`: klob-c; with
    ///   `single_knowledge`, `knowledge_chain` or a chain/single prompt key: klob-r).
    /// - Throws: ``KLoBError`` naming the file, the line and the field of the first problem.
    public static func read(contentsOf url: URL, subset: KLoBSubset? = nil) throws(KLoBError) -> KLoBSet {
        let set = try load(contentsOf: url, subset: subset)
        if let first = set.errors.first { throw first }
        return set
    }

    /// Reads a KLoB file, collecting an error per bad line instead of stopping at the first.
    /// Throws only when the file cannot be read or its subset cannot be told.
    public static func load(contentsOf url: URL, subset: KLoBSubset? = nil) throws(KLoBError) -> KLoBSet {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? error.localizedDescription : "no such file"
            throw KLoBError(file: url.path, problem: .unreadable(reason))
        }
        return try parse(data, file: url.path, subset: subset)
    }

    /// Parses the bytes of a KLoB JSONL file (`file` names it in errors). Blank lines are skipped
    /// but counted, so line numbers match an editor's; a byte-order mark and `\r\n` line ends are
    /// accepted. Fields other than KLoB's are ignored.
    public static func parse(_ data: Data, file: String, subset: KLoBSubset? = nil) throws(KLoBError) -> KLoBSet {
        guard let text = String(data: data, encoding: .utf8) else {
            throw KLoBError(file: file, problem: .unreadable("the file is not UTF-8 text"))
        }
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        var values: [(line: Int, value: Result<Any, KLoBError>)] = []
        var lineNumber = 0
        // "\r\n" is one Character in Swift, so it is matched as a separator of its own.
        for line in body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            if line.allSatisfy(\.isWhitespace) { continue }
            do {
                values.append((lineNumber, .success(try JSONSerialization.jsonObject(with: Data(line.utf8), options: .fragmentsAllowed))))
            } catch {
                let ns = error as NSError
                let reason = (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
                values.append((lineNumber, .failure(KLoBError(file: file, location: .line(lineNumber), problem: .invalidJSON(reason)))))
            }
        }
        let detected = values.lazy.compactMap { entry -> KLoBSubset? in
            guard case .success(let v) = entry.value else { return nil }
            return shape(of: v)
        }.first
        guard let kind = subset ?? detected else {
            if case .failure(let error)? = values.first?.value { throw error }
            if values.isEmpty { throw KLoBError(file: file, problem: .unknownFormat("the file has no records")) }
            throw KLoBError(file: file, problem: .unknownFormat(
                "no line is a KLoB record (a JSON string for klob-u, an object with \"prompts\" for klob-c, with \"single_knowledge\" for klob-r)"))
        }
        var set = KLoBSet(subset: kind, items: [], recordCount: values.count)
        for (line, value) in values {
            do throws(KLoBError) {
                let item = try record(try value.get(), subset: kind)
                if let (field, problem) = item.problem() { throw KLoBError(file: "", field: field, problem: problem) }
                set.items.append(item)
                set.lines.append(line)
            } catch {
                set.errors.append(error.at(file, .line(line)))
            }
        }
        return set
    }

    /// The subset a parsed JSON line belongs to, or nil when it is none of them.
    static func shape(of value: Any) -> KLoBSubset? {
        if value is String { return .u }
        guard let object = value as? [String: Any] else { return nil }
        if object[KLoBKeys.prompts] != nil || object[KLoBKeys.knowledge] != nil { return .c }
        let chainKeys = [KLoBKeys.singleKnowledge, KLoBKeys.chain, KLoBKeys.singlePrompts, KLoBKeys.singlePromptsCorrect,
                         KLoBKeys.chainPrompt, KLoBKeys.chainPromptCorrect]
        if chainKeys.contains(where: { object[$0] != nil }) { return .r }
        return nil
    }

    /// One line's JSON as an item of `subset` (not yet checked with ``KLoBItem/problem()``).
    static func record(_ value: Any, subset: KLoBSubset) throws(KLoBError) -> KLoBItem {
        guard let found = shape(of: value) else {
            if let object = value as? [String: Any] {
                let keys = object.keys.sorted().joined(separator: ", ")
                throw KLoBError(file: "", problem: .unknownFormat("an object with none of the \(subset) fields (it has: \(keys))"))
            }
            throw KLoBError(file: "", problem: .wrongType(expected: subset == .u ? "a JSON string" : "a JSON object"))
        }
        guard found == subset else { throw KLoBError(file: "", problem: .wrongSubset(expected: subset, found: found)) }
        switch subset {
        case .u:
            return .nonFactual(KLoBNonFactualItem(text: value as! String))
        case .c:
            let object = value as! [String: Any]
            let knowledge = try strings(object, KLoBKeys.knowledge, count: 3)
            return .paraphrases(KLoBParaphraseItem(prompts: try strings(object, KLoBKeys.prompts),
                                                   knowledge: KLoBFact(subject: knowledge[0], relation: knowledge[1], object: knowledge[2])))
        case .r:
            let object = value as! [String: Any]
            let single = try strings(object, KLoBKeys.singleKnowledge, count: 3)
            let chain = try strings(object, KLoBKeys.chain, count: 5)
            let prompts = try strings(object, try key(object, KLoBKeys.singlePrompts, or: KLoBKeys.singlePromptsCorrect))
            let chainPrompt = try string(object, try key(object, KLoBKeys.chainPrompt, or: KLoBKeys.chainPromptCorrect))
            return .chain(KLoBChainItem(
                singleKnowledge: KLoBFact(subject: single[0], relation: single[1], object: single[2]),
                chain: KLoBChain(subject: chain[0], relation1: chain[1], object1: chain[2], relation2: chain[3], object2: chain[4]),
                singlePrompts: prompts, chainPrompt: chainPrompt))
        }
    }

    /// The key present in the object: the release's spelling, else the correct one. Both present
    /// with different values is an error (which one is meant is unclear).
    private static func key(_ object: [String: Any], _ release: String, or correct: String) throws(KLoBError) -> String {
        guard let alternative = object[correct] else { return release }
        guard let original = object[release] else { return correct }
        let same = (original as? String).map { $0 == alternative as? String }
            ?? (original as? [String]).map { $0 == alternative as? [String] } ?? false
        if !same {
            throw KLoBError(file: "", field: release, problem: .invalidValue("both \"\(release)\" and \"\(correct)\" are present, with different values"))
        }
        return release
    }

    private static func string(_ object: [String: Any], _ key: String) throws(KLoBError) -> String {
        guard let value = object[key] else { throw KLoBError(file: "", field: key, problem: .missingField) }
        guard let text = value as? String else { throw KLoBError(file: "", field: key, problem: .wrongType(expected: "a string")) }
        return text
    }

    /// A list of strings; `count` requires exactly that many.
    private static func strings(_ object: [String: Any], _ key: String, count: Int? = nil) throws(KLoBError) -> [String] {
        guard let value = object[key] else { throw KLoBError(file: "", field: key, problem: .missingField) }
        guard let list = value as? [Any] else { throw KLoBError(file: "", field: key, problem: .wrongType(expected: "a list of strings")) }
        var out: [String] = []
        for (i, element) in list.enumerated() {
            guard let text = element as? String else {
                throw KLoBError(file: "", field: "\(key)[\(i)]", problem: .wrongType(expected: "a string"))
            }
            out.append(text)
        }
        if let count, out.count != count {
            throw KLoBError(file: "", field: key, problem: .wrongCount(expected: "\(count)", found: out.count))
        }
        return out
    }
}
