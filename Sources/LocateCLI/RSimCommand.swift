import ArgumentParser
import Foundation
import LocateCore
import LocateMethods
import LocateModel

struct RSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rsim",
        abstract: "RSim locating consistency on klob-c / klob-r and RSD on klob-u, for every locating method.",
        subcommands: [RSimRun.self, RSimMerge.self],
        defaultSubcommand: RSimRun.self)
}

/// Options shared by `rsim run` and `rsim merge`: how the cached profiles are scored.
struct RSimScoring: ParsableArguments {
    @Option(help: "Which set measures what: study (klob-r consistency, klob-c relevance: the Comprehensive Study) or content (the reverse).")
    var naming: KLoBNaming = .study
    @Option(help: "Layer-set similarity: overlap (|A∩B|/k) or jaccard.") var similarity: LayerSimilarity = .overlap
    @Flag(help: "Score only items whose every prompt the model answers with the set's target.") var knownOnly = false
}

extension KLoBNaming: ExpressibleByArgument {}
extension LayerSimilarity: ExpressibleByArgument {}
extension TraceProfileToken: ExpressibleByArgument {}
extension LocatedAnswer: ExpressibleByArgument {}

/// `locate rsim --set … --method … --data DIR`.
struct RSimRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Locate every prompt of KLoB-format sets and compute RSim curves and RSD (the default of `locate rsim`).",
        discussion: """
        --data DIR holds klob-c.jsonl, klob-r.jsonl and klob-u.jsonl (the official files, or sets
        made by `locate klob build`). Every prompt is located once per method and its per-layer
        profile cached in OUT/profiles-klob-X.jsonl (a rerun resumes; methods can be added later);
        the located answer is the model's own prediction, and whether it is the set's target is kept
        so --known-only can restrict the scores. A prompt's located layers are the top k of its
        profile: causal tracing's indirect effect per layer at the last subject token (or the max
        over tokens, --trace-token max), or knowledge-neuron attribution mass per layer.

        Writes OUT/rsim.json, rsim.csv and rsim_curves.png (RSim against k = 1…L, one curve per set and
        method, as in the Comprehensive Study's Figure 8) and, with klob-u prompts, RSD per method.
        --shard i/n locates every n-th item from the i-th; combine with `locate rsim merge`.
        """)

    @OptionGroup var options: ModelOptions
    @OptionGroup var scoring: RSimScoring
    @Option(help: "Sets: klob-c, klob-r or both.") var set = "both"
    @Option(help: "Methods: a comma list of trace-hidden, trace-mlp, trace-attn, neurons, or all.") var method = "trace-mlp"
    @Option(help: "Folder with klob-c.jsonl, klob-r.jsonl, klob-u.jsonl.") var data: String
    @Option(help: "Items per set (the first N).") var limit: Int?
    @Option(help: "klob-u prompts for RSD (0 for none).") var nonfactual = 100
    @Option(help: "Trace profile token: last-subject or max.") var traceToken: TraceProfileToken = .lastSubject
    @Option(help: "Answer located: prediction (the model's own, as ROME) or target (the set's answer, by teacher forcing).")
    var answer: LocatedAnswer = .prediction
    @Option(help: "Corrupted samples per trace cell.") var samples = 10
    @Option(help: "Seed of the trace noise.") var seed: UInt32 = 1
    @Option(help: "Integration steps of the neurons method.") var steps = 20
    @Option(help: "Locate shard i of n (0-based), e.g. 1/4.") var shard: String?
    @Option(help: "Output folder.") var out = "rsim"

    func run() throws {
        let methods = try parseMethods(method)
        let subsets = try parseSets(set)
        let part = try parseShard(shard)
        let model = try options.load()
        let folder = URL(fileURLWithPath: out)
        var sets: [(KLoBSubset, KLoBSet, Int)] = []
        for subset in subsets + (nonfactual > 0 ? [.u] : []) {
            let url = URL(fileURLWithPath: data).appendingPathComponent(subset.fileName)
            guard FileManager.default.fileExists(atPath: url.path) else {
                if subset == .u { print("no \(url.path): RSD skipped"); continue }
                throw ValidationError("no \(url.path): build it with `locate klob build \(subset.rawValue) --from … --out \(data)`")
            }
            let loaded = try KLoBSet.read(contentsOf: url, subset: subset)
            sets.append((subset, loaded, subset == .u ? min(nonfactual, loaded.items.count) : min(limit ?? loaded.items.count, loaded.items.count)))
        }
        // ROME's noise rule over the subjects of the factual sets (every item, so shards agree)
        let subjects = sets.filter { $0.0 != .u }.flatMap { $0.1.prompts().map(\.subject) }
        let level = try CausalTrace(model: model).noiseLevel(subjects: subjects.isEmpty ? sets.flatMap { $0.1.prompts().map(\.subject) } : subjects)
        var locator = LayerLocator(model: model, noiseLevel: level)
        locator.samples = samples; locator.seed = seed; locator.traceToken = traceToken; locator.answer = answer
        locator.neuronSettings = KnowledgeNeurons.Settings(steps: steps)
        print(String(format: "noise level %.4f; methods %@; trace profile at %@", level, methods.map(\.rawValue).joined(separator: ", "), traceToken.rawValue))
        for (subset, loaded, count) in sets {
            let items = (0..<count).filter { $0 % part.count == part.index }
            let prompts = items.flatMap { loaded.items[$0].prompts(item: $0) }
            let file = folder.appendingPathComponent(part.count == 1 ? "profiles-\(subset).jsonl" : "profiles-\(subset)-shard-\(part.index)-of-\(part.count).jsonl")
            try ProfileCache(url: file).fill(prompts: prompts, methods: methods, locator: locator, label: subset.description)
        }
        guard part.count == 1 else {
            print("wrote shard \(part.index)/\(part.count) profiles to \(folder.path); when all are done: locate rsim merge \(folder.path) --data \(data) --out \(folder.path)")
            return
        }
        try RSimReport.write(folder: folder, data: URL(fileURLWithPath: data), limits: Dictionary(uniqueKeysWithValues: sets.map { ($0.0, $0.2) }),
                             methods: methods, scoring: scoring, model: model.source, command: reproducingCommand())
    }

    private func parseMethods(_ text: String) throws -> [LocatingMethod] {
        if text == "all" { return LocatingMethod.allCases }
        return try text.split(separator: ",").map { name in
            guard let m = LocatingMethod(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown method \"\(name)\": use \(LocatingMethod.allCases.map(\.rawValue).joined(separator: ", ")) or all")
            }
            return m
        }
    }

    private func parseSets(_ text: String) throws -> [KLoBSubset] {
        switch text {
        case "both": return [.c, .r]
        case "klob-c", "c": return [.c]
        case "klob-r", "r": return [.r]
        default: throw ValidationError("--set takes klob-c, klob-r or both, not \"\(text)\"")
        }
    }
}

/// Per-prompt profiles cached as JSON lines; a prompt is located only for the methods it lacks.
struct ProfileCache {
    let url: URL

    func read() throws -> [LayerProfiles] {
        guard let data = try? Data(contentsOf: url) else { return [] }
        var out: [LayerProfiles] = []
        for (n, line) in data.split(separator: 0x0A).enumerated() where !line.isEmpty {
            do { out.append(try JSONDecoder().decode(LayerProfiles.self, from: Data(line))) } catch {
                throw ValidationError("\(url.path) line \(n + 1) is not a profile record (\(error)); move the file away to start over")
            }
        }
        return out
    }

    func fill(prompts: [KLoBPrompt], methods: [LocatingMethod], locator: LayerLocator, label: String) throws {
        var byID: [String: LayerProfiles] = [:]
        var order: [String] = []
        for record in try read() { if byID[record.id] == nil { order.append(record.id) }; byID[record.id] = record }
        let start = Date()
        var done = 0, failed = 0
        for prompt in prompts {
            if let old = byID[prompt.id], old.locatedAnswer != locator.answer || old.traceToken != locator.traceToken.rawValue {
                throw ValidationError("\(url.path) holds profiles of the \(old.locatedAnswer.rawValue) answer at \(old.traceToken); "
                                      + "this run asks for \(locator.answer.rawValue) at \(locator.traceToken.rawValue): use another --out folder")
            }
            let missing = methods.filter { byID[prompt.id]?.profile($0) == nil }
            if missing.isEmpty { done += 1; continue }
            do {
                var record = try locator.profiles(for: prompt, methods: missing)
                if let old = byID[prompt.id] { record.profiles.merge(old.profiles) { new, _ in new } }
                if byID[prompt.id] == nil { order.append(prompt.id) }
                byID[prompt.id] = record
            } catch {
                failed += 1
                FileHandle.standardError.write(Data("\n\(prompt.id): \(error) (skipped)\n".utf8))
            }
            done += 1
            try save(order.compactMap { byID[$0] })
            let elapsed = Date().timeIntervalSince(start)
            let eta = done > 0 ? elapsed / Double(done) * Double(prompts.count - done) : 0
            FileHandle.standardError.write(Data(String(format: "\r%@: %d/%d prompts, %.0f s, ETA %.0f s   ", label, done, prompts.count, elapsed, eta).utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        if failed > 0 { print("\(label): \(failed) prompts could not be located (see above)") }
    }

    func save(_ records: [LayerProfiles]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for r in records { data.append(try encoder.encode(r)); data.append(0x0A) }
        try AtomicFile.write(data, to: url)
    }
}

/// `locate rsim merge DIR… --data DIR --out DIR`.
struct RSimMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Combine the shard profiles of `locate rsim --shard` and compute RSim and RSD.")
    @Argument(help: "Folders holding profiles-klob-*.jsonl shard files.") var inputs: [String]
    @Option(help: "Folder with the klob-*.jsonl sets the shards were made from.") var data: String
    @Option(help: "Output folder.") var out: String
    @Option(help: "Methods to score (default: every method found).") var method: String?
    @OptionGroup var scoring: RSimScoring
    @OptionGroup var options: ModelOptions

    func run() throws {
        let folder = URL(fileURLWithPath: out)
        var found: Set<String> = []
        var limits: [KLoBSubset: Int] = [:]
        for subset in KLoBSubset.allCases {
            var records: [String: LayerProfiles] = [:]
            for input in inputs {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []
                for name in names.sorted() where name.hasPrefix("profiles-\(subset)") && name.hasSuffix(".jsonl") {
                    for r in try ProfileCache(url: URL(fileURLWithPath: input).appendingPathComponent(name)).read() {
                        records[r.id] = r; found.formUnion(r.profiles.keys)
                    }
                }
            }
            guard !records.isEmpty else { continue }
            let sorted = records.values.sorted { ($0.item, $0.index) < ($1.item, $1.index) }
            try ProfileCache(url: folder.appendingPathComponent("profiles-\(subset).jsonl")).save(sorted)
            limits[subset] = (sorted.map(\.item).max() ?? -1) + 1
            print("merged \(sorted.count) \(subset) profiles")
        }
        let methods = method.map { $0.split(separator: ",").compactMap { LocatingMethod(rawValue: String($0)) } }
            ?? LocatingMethod.allCases.filter { found.contains($0.rawValue) }
        let model = (try? options.url().path) ?? "unknown (no model file found)"
        try RSimReport.write(folder: folder, data: URL(fileURLWithPath: data), limits: limits, methods: methods, scoring: scoring,
                             model: model, command: reproducingCommand())
    }
}

func parseShard(_ text: String?) throws -> (index: Int, count: Int) {
    guard let text else { return (0, 1) }
    let pieces = text.split(separator: "/").compactMap { Int($0) }
    guard pieces.count == 2, pieces[1] > 0, pieces[0] >= 0, pieces[0] < pieces[1] else {
        throw ValidationError("--shard takes i/n with 0 ≤ i < n, e.g. 0/4; got \"\(text)\"")
    }
    return (pieces[0], pieces[1])
}
