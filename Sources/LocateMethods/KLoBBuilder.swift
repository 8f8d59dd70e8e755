import Foundation

/// What a KLoB set is built from (klob/README.md, "Building sets from public data").
public enum KLoBSource: String, CaseIterable, Codable, Sendable {
    /// klob-c from ParaRel bags (`pararel/data_11.json`): the relation's templates are aligned to
    /// find each bag's subject; up to 3 prompts that end in `[MASK]` are kept per fact.
    case pararel
    /// klob-c from any probe file with paraphrases (ROME-format CounterFact: the rewrite prompt and
    /// `paraphrase_prompts`; EasyEdit's `counterfact-*.json`: `prompt` and `rephrase_prompt`).
    case counterfact
    /// klob-r from EasyEdit/KnowEdit portability records (the chain goes through the edit's new
    /// object: see ``KLoBBuilder/chainItems(portability:maxPrompts:)``).
    case portability
    /// klob-r from true two-hop chains: ROME-format CounterFact facts whose true object is a
    /// country, joined with that country's capital from ParaRel.
    case chains
    /// klob-u: KLoB-u lines, checked and passed through.
    case klobU = "klob-u"

    /// The subset this source builds.
    public var subset: KLoBSubset {
        switch self {
        case .pararel, .counterfact: return .c
        case .portability, .chains: return .r
        case .klobU: return .u
        }
    }

    /// The source `locate klob build` uses when none is given.
    public static func defaultSource(for subset: KLoBSubset) -> KLoBSource {
        switch subset {
        case .c: return .pararel
        case .r: return .portability
        case .u: return .klobU
        }
    }
}

/// A source record that did not become an item, and why.
public struct KLoBSkip: Sendable, Equatable, Codable {
    public var file: String
    /// The record's position in its file: 0-based in a JSON array, 1-based line in a JSONL file;
    /// nil when only its id is known (then ``reason`` names it).
    public var record: Int?
    /// A short category for counts ("too few prompts", "no chain template", …).
    public var kind: String
    /// The details.
    public var reason: String

    public init(file: String, record: Int?, kind: String, reason: String) {
        self.file = file
        self.record = record
        self.kind = kind
        self.reason = reason
    }
}

/// Every item a source yields before the model filter and `--limit`, in source order.
public struct KLoBCandidates: Sendable, Equatable {
    /// The items, in source order (files in the order given).
    public var items: [KLoBItem]
    /// Source records read (bags, cases, lines).
    public var records: Int
    /// Records that did not become items, with the reason.
    public var skipped: [KLoBSkip]

    public init(items: [KLoBItem] = [], records: Int = 0, skipped: [KLoBSkip] = []) {
        self.items = items
        self.records = records
        self.skipped = skipped
    }

    mutating func append(_ other: KLoBCandidates) {
        items += other.items
        records += other.records
        skipped += other.skipped
    }
}

/// Settings of a build.
public struct KLoBBuildOptions: Sendable, Equatable {
    /// Keep at most this many items: a seeded sample (stream `seed + 1`), written in source order.
    public var limit: Int?
    /// Seeds the paraphrase choice (ParaRel) and, plus one, the `limit` sample.
    public var seed: UInt64
    /// Prompts per fact (klob-c paraphrases, klob-r single-fact prompts); KLoB has 3.
    public var maxPrompts: Int

    public init(limit: Int? = nil, seed: UInt64 = 1, maxPrompts: Int = 3) {
        self.limit = limit
        self.seed = seed
        self.maxPrompts = maxPrompts
    }
}

/// What a build produced.
public struct KLoBBuild: Sendable, Equatable {
    public var source: KLoBSource
    /// The kept items, in source order: what `locate klob build` writes.
    public var items: [KLoBItem]
    /// Source records read.
    public var records: Int
    /// Items the source yielded before the filter and the limit.
    public var candidates: Int
    public var skipped: [KLoBSkip]
    /// Candidates the filter was asked about, and how many it refused.
    public var checked: Int
    public var rejected: Int
}

/// Builds KLoB sets from public data (klob/README.md). Output is deterministic: the same files,
/// options and filter give the same items in the same order.
///
///     let build = try KLoBBuilder.build(.pararel, from: [url], options: .init(limit: 100, seed: 1),
///                                       keep: { try $0.isKnown(by: model) })
///     try KLoBSet.write(build.items, to: out.appendingPathComponent("klob-c.jsonl"))
public enum KLoBBuilder {
    /// The source's items before any filter or limit.
    /// - Parameter urls: the input files; `chains` takes a ParaRel file and ROME-format CounterFact
    ///   files (told apart by content), the other sources one or more files of their kind.
    /// - Throws: ``KLoBError`` when a file cannot be read or is not of the source's kind.
    public static func candidates(_ source: KLoBSource, from urls: [URL], options: KLoBBuildOptions = .init()) throws(KLoBError) -> KLoBCandidates {
        guard !urls.isEmpty else { throw KLoBError(file: "", problem: .invalidValue("no input file given")) }
        guard options.maxPrompts >= 1 else { throw KLoBError(file: "", problem: .invalidValue("maxPrompts must be at least 1")) }
        var out = KLoBCandidates()
        switch source {
        case .pararel:
            for url in urls { out.append(try paraphraseItems(paraRel: url, maxPrompts: options.maxPrompts, seed: options.seed)) }
        case .counterfact:
            for url in urls { out.append(try paraphraseItems(probes: url, maxPrompts: options.maxPrompts)) }
        case .portability:
            for url in urls { out.append(try chainItems(portability: url, maxPrompts: options.maxPrompts)) }
        case .chains:
            out = try chainItems(files: urls, maxPrompts: options.maxPrompts)
        case .klobU:
            for url in urls {
                let set = try KLoBSet.load(contentsOf: url, subset: .u)
                out.append(KLoBCandidates(items: set.items, records: set.recordCount, skipped: set.errors.map {
                    KLoBSkip(file: url.path, record: $0.line, kind: "invalid line", reason: $0.description)
                }))
            }
        }
        return out
    }

    /// Builds a set: the source's candidates, then the filter and the limit.
    ///
    /// Without a limit every candidate is asked, in order. With a limit smaller than the number of
    /// candidates they are visited in a seeded random order until `limit` pass, so a filter runs
    /// only as often as needed; the kept items are returned in source order.
    /// - Parameters:
    ///   - keep: the filter, e.g. `{ try $0.isKnown(by: model) }` (``KLoBItem/isKnown(by:)``).
    ///   - progress: called after each filtered candidate with (checked, kept, candidates).
    public static func build(_ source: KLoBSource, from urls: [URL], options: KLoBBuildOptions = .init(),
                             keep: ((KLoBItem) throws -> Bool)? = nil,
                             progress: ((Int, Int, Int) -> Void)? = nil) throws -> KLoBBuild {
        let found = try candidates(source, from: urls, options: options)
        let n = found.items.count
        let order = options.limit.map { $0 < n } == true ? SeededSample.permutation(n, seed: options.seed &+ 1) : Array(0 ..< n)
        var kept: [Int] = []
        var checked = 0, rejected = 0
        for index in order {
            if let limit = options.limit, kept.count >= limit { break }
            if let keep {
                checked += 1
                let pass = try keep(found.items[index])
                if pass { kept.append(index) } else { rejected += 1 }
                progress?(checked, kept.count, n)
            } else {
                kept.append(index)
            }
        }
        return KLoBBuild(source: source, items: kept.sorted().map { found.items[$0] }, records: found.records, candidates: n,
                         skipped: found.skipped, checked: checked, rejected: rejected)
    }

    // MARK: Shared by the builders

    /// A text as a KLoB cloze prompt: a question (ending in "?") becomes
    /// `"Question: … Answer: _"`, anything else gets `" _"` appended.
    public static func cloze(fromPromptOrQuestion text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.hasSuffix("?") ? "Question: \(trimmed) Answer: _" : KLoBSlot.cloze(trimmed)
    }

    /// Why a cloze prompt cannot be located for `subject`, or nil when it can (it has a slot and
    /// text before it, and the subject occurs exactly once in that text).
    static func unlocatable(_ cloze: String, subject: String) -> String? {
        guard let text = KLoBSlot.strip(cloze) else { return "no text before the slot in \"\(cloze)\"" }
        let n = Probe.count(of: subject, in: text)
        return n == 1 ? nil : "the subject \"\(subject)\" occurs \(n) times in \"\(text)\""
    }

    /// The first `limit` distinct prompts (after trimming) that can be located for `subject`, with
    /// the reason the first refused prompt was refused.
    static func locatablePrompts(_ clozes: [String], subject: String, limit: Int) -> (prompts: [String], refused: String?) {
        var out: [String] = []
        var seen = Set<String>()
        var refused: String?
        for cloze in clozes where out.count < limit {
            if let reason = unlocatable(cloze, subject: subject) {
                refused = refused ?? reason
                continue
            }
            if seen.insert(KLoBSlot.strip(cloze)!).inserted { out.append(cloze) }
        }
        return (out, refused)
    }
}
