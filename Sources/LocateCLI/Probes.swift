import ArgumentParser
import Foundation
import LocateMethods
import LocateModel

struct Probes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check fact probe sets and keep the facts the model knows.",
        discussion: """
        A probe set is JSON lines (one {"id", "relation", "subject", "template", "target", \
        "paraphrases"?} object per line, as in probes/facts.jsonl), a JSON array of such objects, \
        ROME's known_1000.json, or CounterFact (ROME format or EasyEdit's counterfact-*.json); \
        the format is detected from the content.
        """,
        subcommands: [Filter.self, Check.self])

    struct RelationCount: Encodable { let relation: String; let total: Int; let known: Int? }

    /// Per-relation counts, sorted by relation (an empty relation is shown as "(none)").
    static func relationCounts(_ probes: [Probe], known: Set<String>? = nil) -> [RelationCount] {
        Dictionary(grouping: probes, by: \.relation).keys.sorted().map { relation in
            let members = probes.filter { $0.relation == relation }
            return RelationCount(relation: relation, total: members.count,
                                 known: known.map { k in members.filter { k.contains($0.id) }.count })
        }
    }

    static func printRelations(_ counts: [RelationCount]) {
        let width = max(8, counts.map { max($0.relation.count, 6) }.max() ?? 8)
        let header = "relation".padding(toLength: width, withPad: " ", startingAt: 0)
        print(counts.first?.known == nil ? "\(header)  probes" : "\(header)  probes  known")
        for c in counts {
            let name = (c.relation.isEmpty ? "(none)" : c.relation).padding(toLength: width, withPad: " ", startingAt: 0)
            let total = String(c.total).leftPadded(6)
            print(c.known.map { "\(name)  \(total)  \(String($0).leftPadded(5))" } ?? "\(name)  \(total)")
        }
    }

    static func printErrors(_ errors: [ProbeError], limit: Int) {
        for e in errors.prefix(limit) { FileHandle.standardError.write(Data("error: \(e)\n".utf8)) }
        if errors.count > limit {
            FileHandle.standardError.write(Data("… and \(errors.count - limit) more errors\n".utf8))
        }
    }

    struct Filter: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep the facts the model knows (greedy continuation starts with the target's first word).",
            discussion: """
            Reads FILE in any supported format and writes the known facts as JSON lines to --out \
            (atomically). Invalid records are reported on stderr and skipped. Without --out only \
            the report is printed.
            """)

        @Argument(help: "A probe set (JSONL, JSON array, known_1000.json or CounterFact).") var file: String
        @Option(help: "Where to write the known facts (JSON lines).") var out: String?
        @OptionGroup var options: ModelOptions
        @Flag(help: "Print JSON instead of text (every probe's result included).") var json = false

        struct Report: Encodable {
            let model: String
            let input: String
            let format: String
            let out: String?
            let records: Int
            let invalid: Int
            let checked: Int
            let known: Int
            let relations: [RelationCount]
            let results: [KnownResult]
        }

        func run() throws {
            let set = try Probe.load(contentsOf: URL(fileURLWithPath: file))
            Probes.printErrors(set.errors, limit: 20)
            let model = try options.load()
            let start = Date()
            let results = try knows(set.probes, model: model) { done, total, _ in
                if !json && (done % 50 == 0 || done == total) {
                    FileHandle.standardError.write(Data("checked \(done)/\(total)\n".utf8))
                }
            }
            let kept = results.filter(\.known).map(\.probe)
            if let out { try Probe.write(kept, to: URL(fileURLWithPath: out)) }
            let counts = Probes.relationCounts(set.probes, known: Set(kept.map(\.id)))
            if json {
                try printJSON(Report(model: model.source, input: file, format: set.format.rawValue, out: out,
                                     records: set.recordCount, invalid: set.errors.count, checked: results.count,
                                     known: kept.count, relations: counts, results: results))
                return
            }
            for r in results {
                let mark = r.known ? "known  " : "unknown"
                print("\(mark) \(String(format: "%6.4f", r.probability))  \(r.probe.id)  \(r.probe.prompt) → \"\(visible(r.continuation))\" (target \(r.probe.target))")
            }
            print("")
            Probes.printRelations(counts)
            print("\(file) (\(set.format)): \(set.recordCount) records, \(set.errors.count) invalid, \(results.count) checked, \(kept.count) known (\(String(format: "%.1f", Date().timeIntervalSince(start))) s)")
            if let out { print("wrote \(kept.count) facts to \(out)") }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a probe set: every error with its line (JSONL) or record (JSON array) and field.",
            discussion: "Exits with status 1 when any record is invalid. Does not load a model.")

        @Argument(help: "A probe set (JSONL, JSON array, known_1000.json or CounterFact).") var file: String
        @Flag(help: "Print JSON instead of text.") var json = false

        struct Problem: Encodable { let line: Int?; let record: Int?; let field: String?; let message: String }
        struct Report: Encodable {
            let file: String
            let format: String
            let records: Int
            let valid: Int
            let relations: [RelationCount]
            let errors: [Problem]
        }

        func run() throws {
            let set = try Probe.load(contentsOf: URL(fileURLWithPath: file))
            let counts = Probes.relationCounts(set.probes)
            if json {
                try printJSON(Report(file: file, format: set.format.rawValue, records: set.recordCount, valid: set.probes.count,
                                     relations: counts,
                                     errors: set.errors.map { Problem(line: $0.line, record: $0.record, field: $0.field, message: $0.description) }))
            } else {
                for e in set.errors { print("error: \(e)") }
                if !set.probes.isEmpty { Probes.printRelations(counts) }
                print("\(file) (\(set.format)): \(set.recordCount) records, \(set.probes.count) valid, \(set.errors.count) errors")
            }
            if !set.errors.isEmpty { throw ExitCode(1) }
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
