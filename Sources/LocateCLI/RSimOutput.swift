import ArgumentParser
import Foundation
import LocateCore
import LocateMethods
import LocatePlot

/// Writes and prints an ``RSimReport`` of cached profiles: rsim.json, rsim.csv, rsim_curves.png
/// (+ its sidecar rsim_curves.json).
enum RSimOutput {
    static func write(folder: URL, data: URL, limits: [KLoBSubset: Int], methods: [LocatingMethod], scoring: RSimScoring,
                      model: String, command: String) throws {
        var sets: [KLoBSubset: KLoBSet] = [:], profiles: [KLoBSubset: [LayerProfiles]] = [:]
        for subset in limits.keys {
            if subset != .u { sets[subset] = try KLoBSet.read(contentsOf: data.appendingPathComponent(subset.fileName), subset: subset) }
            profiles[subset] = try LayerProfiles.read(cache: folder.appendingPathComponent("profiles-\(subset).jsonl"))
        }
        let report = try RSimReport(sets: sets, profiles: profiles, limits: limits, methods: methods, naming: scoring.naming,
                                    similarity: scoring.similarity, knownOnly: scoring.knownOnly, model: model, command: command)
        for note in report.notes { print(note) }
        try AtomicFile.write(try report.jsonData(), to: folder.appendingPathComponent("rsim.json"))
        try AtomicFile.write(report.csv, to: folder.appendingPathComponent("rsim.csv"))
        let series = report.curves.map { Series(label: "\($0.set) (\($0.property)) \($0.method), \($0.items) items", x: $0.ks.map(Double.init), y: $0.rsim) }
        let plot = LinePlot(panels: [LinePanel(series: series)], title: "RSim of located layers vs number of layers considered",
                            xLabel: "number of layers k (top-k layers per prompt)", yLabel: "RSim", yMin: 0, yMax: 1)
        try plot.write(to: folder.appendingPathComponent("rsim_curves.png"), command: command,
                       extras: ["naming": .string(report.naming), "similarity": .string(report.similarity),
                                "known_only": .string(String(report.knownOnly)), "model": .string(model)])
        print("set     property     method        items   RSim at k = 1, 3, 5, 10")
        for c in report.curves {
            let at = [1, 3, 5, 10].map { k in c.ks.firstIndex(of: k).map { String(format: "%.3f", c.rsim[$0]) } ?? "-" }
            print("\(c.set.padding(toLength: 8, withPad: " ", startingAt: 0))\(c.property.padding(toLength: 13, withPad: " ", startingAt: 0))\(c.method.padding(toLength: 14, withPad: " ", startingAt: 0))\(String(c.items).padding(toLength: 8, withPad: " ", startingAt: 0))\(at.joined(separator: "  "))")
        }
        for d in report.rsd {
            print(String(format: "RSD %@: %.3f (SD factual %.4f over %d prompts, non-factual %.4f over %d)", d.method, d.score.rsd,
                         d.score.sdFactual, d.score.factualPrompts, d.score.sdNonFactual, d.score.nonFactualPrompts))
        }
        print("wrote \(folder.path)/rsim.json, rsim.csv, rsim_curves.png (+ rsim_curves.json, the figure's sidecar)")
    }
}
