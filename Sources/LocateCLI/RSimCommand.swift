import ArgumentParser
import Foundation
import LocateBatch
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
        --data DIR holds klob-c.jsonl, klob-r.jsonl and klob-u.jsonl (the official files, or sets \
        made by `locate klob build`). Every prompt is located once per method and its per-layer \
        profile cached in OUT/profiles-klob-X.jsonl (a rerun resumes; methods can be added later); \
        the located answer is the model's own prediction, and whether it is the set's target is kept \
        so --known-only can restrict the scores. A prompt's located layers are the top k of its \
        profile: causal tracing's indirect effect per layer at the last subject token (or the max \
        over tokens, --trace-token max), or knowledge-neuron attribution mass per layer.

        Writes OUT/rsim.json, rsim.csv and rsim_curves.png (RSim against k = 1…L, one curve per set and \
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
    @Flag(help: "Start the profile caches over instead of resuming them.") var force = false

    func run() throws {
        let methods = try parseMethods(method)
        let subsets = try parseSets(set)
        let part = try Shard(parsing: shard)
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
            let prompts = part.select(loaded.items.prefix(count)).flatMap { $0.element.prompts(item: $0.offset) }
            let file = folder.appendingPathComponent(part.fileName("profiles-\(subset)"))
            let outcome = try locator.fill(prompts, methods: methods, cache: file, mode: force ? .overwrite : .resume,
                                           progress: ProgressReporter(label: subset.description, unit: "prompts"))
            if outcome.failed > 0 { print("\(subset): \(outcome.failed) prompts could not be located (see above)") }
        }
        guard part.count == 1 else {
            print("wrote shard \(part.index)/\(part.count) profiles to \(folder.path); when all are done: locate rsim merge \(folder.path) --data \(data) --out \(folder.path)")
            return
        }
        try RSimOutput.write(folder: folder, data: URL(fileURLWithPath: data), limits: Dictionary(uniqueKeysWithValues: sets.map { ($0.0, $0.2) }),
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
            guard let merged = try LayerProfiles.merge("profiles-\(subset)", in: inputs,
                                                       into: folder.appendingPathComponent("profiles-\(subset).jsonl")) else { continue }
            found.formUnion(merged.flatMap(\.profiles.keys))
            limits[subset] = (merged.map(\.item).max() ?? -1) + 1
            print("merged \(merged.count) \(subset) profiles")
        }
        let methods = method.map { $0.split(separator: ",").compactMap { LocatingMethod(rawValue: String($0)) } }
            ?? LocatingMethod.allCases.filter { found.contains($0.rawValue) }
        let model = (try? options.url().path) ?? "unknown (no model file found)"
        try RSimOutput.write(folder: folder, data: URL(fileURLWithPath: data), limits: limits, methods: methods, scoring: scoring,
                             model: model, command: reproducingCommand())
    }
}
