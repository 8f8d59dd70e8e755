import ArgumentParser
import Foundation
import LocateCore
import LocateMethods
import LocatePlot

/// RSim curves and RSD from cached profiles: rsim.json, rsim.csv, rsim_curves.png (+ its sidecar rsim_curves.json).
enum RSimReport {
    struct Curve: Encodable {
        let set: String
        let property: String
        let method: String
        let items: Int
        let ks: [Int]
        let rsim: [Double]
        let simCand: [Double]
        let simAll: [Double]
    }
    struct Deviation: Encodable {
        let method: String
        let score: RSD.Score
    }
    struct Output: Encodable {
        let naming: String
        let similarity: String
        let knownOnly: Bool
        let model: String
        let command: String
        let curves: [Curve]
        let rsd: [Deviation]
        let knownPrompts: [String: [Int]]   // set → [known, all]
    }

    static func write(folder: URL, data: URL, limits: [KLoBSubset: Int], methods: [LocatingMethod], scoring: RSimScoring,
                      model: String, command: String) throws {
        var curves: [Curve] = []
        var factual: [LocatingMethod: [[Double]]] = [:]
        var known: [String: [Int]] = [:]
        let metric = RSim(similarity: scoring.similarity)
        for subset in [KLoBSubset.r, .c] {
            guard let limit = limits[subset] else { continue }
            let set = try KLoBSet.read(contentsOf: data.appendingPathComponent(subset.fileName), subset: subset)
            let records = try ProfileCache(url: folder.appendingPathComponent("profiles-\(subset).jsonl")).read()
            let byItem = Dictionary(grouping: records, by: \.item)
            known[subset.description] = [records.filter { $0.known == true }.count, records.count]
            for method in methods {
                var items: [RSim.Item] = []
                for index in 0..<min(limit, set.items.count) {
                    let item = set.items[index]
                    let expected = item.prompts(item: index).count
                    guard let got = byItem[index]?.sorted(by: { $0.index < $1.index }), got.count == expected,
                          got.allSatisfy({ $0.profile(method) != nil }) else { continue }
                    if scoring.knownOnly && !got.allSatisfy({ $0.known == true }) { continue }
                    let scores = got.map { $0.profile(method)! }
                    items.append(RSim.Item(scores: scores, item: item))
                    factual[method, default: []] += scores
                }
                guard items.count >= 2 else {
                    print("\(subset) \(method.rawValue): \(items.count) complete items, too few for RSim")
                    continue
                }
                let points = try metric.curve(items)
                curves.append(Curve(set: subset.description, property: scoring.naming.property(of: subset).rawValue, method: method.rawValue,
                                    items: items.count, ks: points.map(\.k), rsim: points.map(\.rsim),
                                    simCand: points.map(\.simCand), simAll: points.map(\.simAll)))
            }
        }
        var deviations: [Deviation] = []
        if limits[.u] != nil {
            let nonFactual = try ProfileCache(url: folder.appendingPathComponent("profiles-\(KLoBSubset.u).jsonl")).read()
            for method in methods {
                let u = nonFactual.compactMap { $0.profile(method) }
                guard let f = factual[method], !f.isEmpty, !u.isEmpty else { continue }
                deviations.append(Deviation(method: method.rawValue, score: try RSD.score(factual: f, nonFactual: u)))
            }
        }
        guard !curves.isEmpty else { throw ValidationError("no complete items to score in \(folder.path)") }
        let output = Output(naming: scoring.naming.rawValue, similarity: scoring.similarity.rawValue, knownOnly: scoring.knownOnly,
                            model: model, command: command, curves: curves, rsd: deviations, knownPrompts: known)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(output), to: folder.appendingPathComponent("rsim.json"))
        var csv = "set,property,method,items,k,rsim,sim_cand,sim_all\n"
        for c in curves {
            for i in c.ks.indices {
                csv += "\(c.set),\(c.property),\(c.method),\(c.items),\(c.ks[i]),\(c.rsim[i]),\(c.simCand[i]),\(c.simAll[i])\n"
            }
        }
        try AtomicFile.write(csv, to: folder.appendingPathComponent("rsim.csv"))
        let series = curves.map { Series(label: "\($0.set) (\($0.property)) \($0.method), \($0.items) items", x: $0.ks.map(Double.init), y: $0.rsim) }
        let plot = LinePlot(panels: [LinePanel(series: series)], title: "RSim of located layers vs number of layers considered",
                            xLabel: "number of layers k (top-k layers per prompt)", yLabel: "RSim", yMin: 0, yMax: 1)
        try plot.write(to: folder.appendingPathComponent("rsim_curves.png"), command: command,
                       extras: ["naming": .string(scoring.naming.rawValue), "similarity": .string(scoring.similarity.rawValue),
                                "known_only": .string(String(scoring.knownOnly)), "model": .string(model)])
        print("set     property     method        items   RSim at k = 1, 3, 5, 10")
        for c in curves {
            let at = [1, 3, 5, 10].map { k in c.ks.firstIndex(of: k).map { String(format: "%.3f", c.rsim[$0]) } ?? "-" }
            print("\(c.set.padding(toLength: 8, withPad: " ", startingAt: 0))\(c.property.padding(toLength: 13, withPad: " ", startingAt: 0))\(c.method.padding(toLength: 14, withPad: " ", startingAt: 0))\(String(c.items).padding(toLength: 8, withPad: " ", startingAt: 0))\(at.joined(separator: "  "))")
        }
        for d in deviations {
            print(String(format: "RSD %@: %.3f (SD factual %.4f over %d prompts, non-factual %.4f over %d)", d.method, d.score.rsd,
                         d.score.sdFactual, d.score.factualPrompts, d.score.sdNonFactual, d.score.nonFactualPrompts))
        }
        print("wrote \(folder.path)/rsim.json, rsim.csv, rsim_curves.png (+ rsim_curves.json, the figure's sidecar)")
    }
}
