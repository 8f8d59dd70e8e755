import ArgumentParser
import Foundation
import LocateCore
import LocateMethods

/// `locate klob build|check`: KLoB sets for `locate rsim` (klob/README.md).
struct KLoBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "klob",
        abstract: "Build and check KLoB knowledge-locating sets.",
        discussion: """
        KLoB has three JSON-lines files: klob-c (three paraphrased cloze prompts of one fact), \
        klob-r (a fact, a two-hop chain that starts with it, and their prompts) and klob-u (random \
        words). Every prompt ends in " _", the answer slot. Only klob-u is public; `build` makes \
        klob-c and klob-r in the same format from ParaRel, CounterFact and portability data. \
        klob/README.md documents the formats, the builders and the naming caveat (the Comprehensive \
        Study calls klob-r the consistency set and klob-c the relevance set).
        """,
        subcommands: [Build.self, Check.self])

    enum SubsetChoice: String, ExpressibleByArgument, CaseIterable {
        case c, r, u
        var subset: KLoBSubset { KLoBSubset(rawValue: rawValue)! }
    }

    enum SourceChoice: String, ExpressibleByArgument, CaseIterable {
        case pararel, counterfact, portability, chains, klobU = "klob-u"
        var source: KLoBSource { KLoBSource(rawValue: rawValue)! }
    }

    enum NamingChoice: String, ExpressibleByArgument, CaseIterable {
        case study, content
        var naming: KLoBNaming { KLoBNaming(rawValue: rawValue)! }
    }

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a KLoB set from public data and write it as DIR/klob-c.jsonl, klob-r.jsonl or klob-u.jsonl.",
            discussion: """
            Sources: c from pararel (ParaRel bags, e.g. pararel/data_11.json; the default) or \
            counterfact (CounterFact with paraphrase prompts); r from portability (EasyEdit or \
            KnowEdit portability records; the default; their chains go through the edit's new \
            object) or chains (true chains: --from a ParaRel file and ROME-format CounterFact \
            files); u from klob-u (KLoB-u lines, checked and passed through). \
            --keep-known keeps only items whose every prompt the model answers correctly \
            (greedy continuation). --limit N keeps a seeded sample of N items, in source order. \
            A report with the counts and the command goes to DIR/klob-<subset>.build.json. The \
            output is the same for the same inputs and options.
            """)

        @Argument(help: "The subset to build: c, r or u.") var subset: SubsetChoice
        @Option(name: .customLong("from"), help: "An input file; repeat for several.") var inputs: [String] = []
        @Option(help: "Where the items come from (default: pararel for c, portability for r, klob-u for u).") var source: SourceChoice?
        @Option(help: "Keep at most N items (a seeded sample).") var limit: Int?
        @Option(help: "Seed of the paraphrase choice and of the --limit sample.") var seed: UInt64 = 1
        @Option(name: .customLong("prompts"), help: "Prompts per fact (paraphrases for c, single-fact prompts for r).") var maxPrompts = 3
        @Flag(name: .customLong("keep-known"), help: "Keep only items the model answers correctly at every prompt.") var keepKnown = false
        @OptionGroup var options: ModelOptions
        @Option(help: "The output folder.") var out: String
        @Flag(help: "Print the report as JSON.") var json = false

        var resolvedSource: KLoBSource { source?.source ?? KLoBSource.defaultSource(for: subset.subset) }

        func validate() throws {
            if inputs.isEmpty { throw ValidationError("Give at least one input file with --from PATH.") }
            if resolvedSource.subset != subset.subset {
                let fitting = KLoBSource.allCases.filter { $0.subset == subset.subset }.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("The source \(resolvedSource.rawValue) builds \(resolvedSource.subset), not \(subset.subset); use one of: \(fitting).")
            }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
            if maxPrompts < 1 || (subset == .c && maxPrompts < 2) {
                throw ValidationError("--prompts must be at least \(subset == .c ? 2 : 1) for \(subset.subset).")
            }
            if keepKnown && subset == .u { throw ValidationError("--keep-known does not apply to klob-u: random words have no answer.") }
        }

        struct Report: Encodable {
            struct Count: Encodable { let kind: String; let count: Int }
            let version = 1
            let command: String
            let subset: String
            let source: String
            let inputs: [String]
            let seed: UInt64
            let limit: Int?
            let maxPrompts: Int
            let model: String?
            let records: Int
            let candidates: Int
            let skipped: [Count]
            let checked: Int
            let rejected: Int
            let items: Int
            let prompts: Int
            let out: String
            enum CodingKeys: String, CodingKey {
                case version, command, subset, source, inputs, seed, limit, maxPrompts = "max_prompts", model, records, candidates
                case skipped, checked, rejected, items, prompts, out
            }
        }

        func run() throws {
            let start = Date()
            let model = keepKnown ? try options.load() : nil
            let keep: ((KLoBItem) throws -> Bool)? = model.map { model in { try $0.isKnown(by: model) } }
            let build = try KLoBBuilder.build(
                resolvedSource, from: inputs.map { URL(fileURLWithPath: $0) },
                options: KLoBBuildOptions(limit: limit, seed: seed, maxPrompts: maxPrompts), keep: keep
            ) { checked, kept, total in
                if checked % 25 == 0 || checked == total {
                    FileHandle.standardError.write(Data("checked \(checked) of \(total) candidates, kept \(kept)\n".utf8))
                }
            }
            let folder = URL(fileURLWithPath: out)
            let file = folder.appendingPathComponent(subset.subset.fileName)
            try KLoBSet.write(build.items, to: file)
            let kinds = Dictionary(grouping: build.skipped, by: \.kind).map { Report.Count(kind: $0.key, count: $0.value.count) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.kind < $1.kind }
            let report = Report(
                command: reproducingCommand(), subset: subset.subset.description, source: build.source.rawValue, inputs: inputs,
                seed: seed, limit: limit, maxPrompts: maxPrompts, model: model?.source, records: build.records,
                candidates: build.candidates, skipped: kinds, checked: build.checked, rejected: build.rejected,
                items: build.items.count, prompts: build.items.reduce(0) { $0 + $1.clozePrompts.count }, out: file.path)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(try encoder.encode(report) + Data("\n".utf8),
                                 to: folder.appendingPathComponent("klob-\(subset.rawValue).build.json"))
            if json { try printJSON(report); return }
            print("\(build.source.rawValue): \(build.records) source records, \(build.candidates) candidate items, \(build.skipped.count) skipped")
            for count in kinds { print("  skipped (\(count.kind)): \(count.count)") }
            for skip in build.skipped.prefix(3) { print("    e.g. \(skip.file)\(skip.record.map { " [\($0)]" } ?? ""): \(skip.reason)") }
            if model != nil { print("model filter: \(build.checked) checked, \(build.rejected) not known") }
            print("wrote \(build.items.count) items (\(report.prompts) prompts) to \(file.path) (\(String(format: "%.1f", Date().timeIntervalSince(start))) s)")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a KLoB file: every error with its line and field, and counts.",
            discussion: "The subset is detected from the content unless --subset is given. Exits with status 1 when any line is invalid. Does not load a model.")

        @Argument(help: "A KLoB JSON-lines file (klob-c, klob-r or klob-u).") var file: String
        @Option(help: "The subset the file must hold: c, r or u.") var subset: SubsetChoice?
        @Option(help: "Which property each subset measures: study (klob-r consistency, klob-c relevance) or content.") var naming: NamingChoice = .study
        @Flag(help: "Print JSON instead of text.") var json = false

        struct Problem: Encodable { let line: Int?; let field: String?; let message: String }
        struct Report: Encodable {
            let file: String
            let subset: String
            let property: String
            let naming: String
            let records: Int
            let valid: Int
            let prompts: Int
            let candidatePairs: Int
            let relations: [String: Int]
            let errors: [Problem]
            enum CodingKeys: String, CodingKey {
                case file, subset, property, naming, records, valid, prompts, candidatePairs = "candidate_pairs", relations, errors
            }
        }

        func run() throws {
            let set = try KLoBSet.load(contentsOf: URL(fileURLWithPath: file), subset: subset?.subset)
            var relations: [String: Int] = [:]
            for item in set.items {
                switch item {
                case .paraphrases(let p): relations[p.knowledge.relation, default: 0] += 1
                case .chain(let c): relations[c.chain.relation1 + " → " + c.chain.relation2, default: 0] += 1
                case .nonFactual: break
                }
            }
            let property = naming.naming.property(of: set.subset)
            let report = Report(file: file, subset: set.subset.description, property: property.rawValue, naming: naming.rawValue,
                                records: set.recordCount, valid: set.items.count,
                                prompts: set.items.reduce(0) { $0 + $1.clozePrompts.count },
                                candidatePairs: set.items.reduce(0) { $0 + $1.candidatePairs.count }, relations: relations,
                                errors: set.errors.map { Problem(line: $0.line, field: $0.field, message: $0.description) })
            if json {
                try printJSON(report)
            } else {
                for e in set.errors { print("error: \(e)") }
                for (relation, n) in relations.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }).prefix(12) {
                    print("  \(String(n).padding(toLength: 6, withPad: " ", startingAt: 0)) \(relation.isEmpty ? "(no relation)" : relation)")
                }
                if relations.count > 12 { print("  … \(relations.count - 12) more relations") }
                print("\(file) (\(set.subset), the \(property.rawValue) set in the \(naming.rawValue) naming): \(set.recordCount) records, "
                      + "\(set.items.count) valid, \(set.errors.count) errors; \(report.prompts) prompts, \(report.candidatePairs) candidate pairs")
            }
            if !set.errors.isEmpty { throw ExitCode(1) }
        }
    }
}
