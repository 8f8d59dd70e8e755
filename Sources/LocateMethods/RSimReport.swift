import Foundation

/// RSim curves and RSD from cached profiles (``LayerProfiles``), as `locate rsim` writes them to
/// rsim.json and rsim.csv: for each factual set and method, RSim against k = 1…L over the items
/// whose every prompt has a profile (the Comprehensive Study's Figure 8), and RSD per method from
/// the klob-u profiles.
///
///     let report = try RSimReport(sets: sets, profiles: profiles, limits: limits, methods: [.traceMLP],
///                                 naming: .study, similarity: .overlap, knownOnly: false, model: "m.gguf", command: "…")
///     report.curves[0].rsim          // one value per k
public struct RSimReport: Encodable, Sendable {
    /// One set's and method's curve.
    public struct Curve: Encodable, Sendable {
        public let set: String
        public let property: String
        public let method: String
        public let items: Int
        public let ks: [Int]
        public let rsim: [Double]
        public let simCand: [Double]
        public let simAll: [Double]
    }
    /// One method's RSD.
    public struct Deviation: Encodable, Sendable {
        public let method: String
        public let score: RSD.Score
    }
    public let naming: String
    public let similarity: String
    public let knownOnly: Bool
    public let model: String
    public let command: String
    public let curves: [Curve]
    public let rsd: [Deviation]
    /// Set → [prompts the model knows, prompts].
    public let knownPrompts: [String: [Int]]
    /// What could not be scored and why (a set and method with too few complete items); not in the JSON.
    public let notes: [String]

    enum CodingKeys: String, CodingKey { case naming, similarity, knownOnly, model, command, curves, rsd, knownPrompts }

    /// Scores the cached profiles.
    /// - Parameters:
    ///   - sets: the KLoB sets the profiles were made from, per subset.
    ///   - profiles: the cached profiles per subset (klob-u for RSD).
    ///   - limits: items scored per subset (the first N); a subset without a limit is not scored.
    ///   - knownOnly: score only items whose every prompt the model answers with the set's target.
    /// - Throws: ``RSimReportError/noCompleteItems`` when no set and method has two complete
    ///   items; ``KLoBMetricError`` from the metrics.
    public init(sets: [KLoBSubset: KLoBSet], profiles: [KLoBSubset: [LayerProfiles]], limits: [KLoBSubset: Int],
                methods: [LocatingMethod], naming: KLoBNaming, similarity: LayerSimilarity, knownOnly: Bool,
                model: String, command: String) throws {
        var curves: [Curve] = [], notes: [String] = []
        var factual: [LocatingMethod: [[Double]]] = [:]
        var known: [String: [Int]] = [:]
        let metric = RSim(similarity: similarity)
        for subset in [KLoBSubset.r, .c] {
            guard let limit = limits[subset], let set = sets[subset] else { continue }
            let records = profiles[subset] ?? []
            let byItem = Dictionary(grouping: records, by: \.item)
            known[subset.description] = [records.filter { $0.known == true }.count, records.count]
            for method in methods {
                var items: [RSim.Item] = []
                for index in 0..<min(limit, set.items.count) {
                    let item = set.items[index]
                    let expected = item.prompts(item: index).count
                    guard let got = byItem[index]?.sorted(by: { $0.index < $1.index }), got.count == expected,
                          got.allSatisfy({ $0.profile(method) != nil }) else { continue }
                    if knownOnly && !got.allSatisfy({ $0.known == true }) { continue }
                    let scores = got.map { $0.profile(method)! }
                    items.append(RSim.Item(scores: scores, item: item))
                    factual[method, default: []] += scores
                }
                guard items.count >= 2 else {
                    notes.append("\(subset) \(method.rawValue): \(items.count) complete items, too few for RSim")
                    continue
                }
                let points = try metric.curve(items)
                curves.append(Curve(set: subset.description, property: naming.property(of: subset).rawValue, method: method.rawValue,
                                    items: items.count, ks: points.map(\.k), rsim: points.map(\.rsim),
                                    simCand: points.map(\.simCand), simAll: points.map(\.simAll)))
            }
        }
        var deviations: [Deviation] = []
        if limits[.u] != nil {
            let nonFactual = profiles[.u] ?? []
            for method in methods {
                let u = nonFactual.compactMap { $0.profile(method) }
                guard let f = factual[method], !f.isEmpty, !u.isEmpty else { continue }
                deviations.append(Deviation(method: method.rawValue, score: try RSD.score(factual: f, nonFactual: u)))
            }
        }
        guard !curves.isEmpty else { throw RSimReportError.noCompleteItems(notes: notes) }
        self.naming = naming.rawValue; self.similarity = similarity.rawValue; self.knownOnly = knownOnly
        self.model = model; self.command = command; self.curves = curves; self.rsd = deviations
        self.knownPrompts = known; self.notes = notes
    }

    /// rsim.csv: a row per set, method and k.
    public var csv: String {
        var csv = "set,property,method,items,k,rsim,sim_cand,sim_all\n"
        for c in curves {
            for i in c.ks.indices {
                csv += "\(c.set),\(c.property),\(c.method),\(c.items),\(c.ks[i]),\(c.rsim[i]),\(c.simCand[i]),\(c.simAll[i])\n"
            }
        }
        return csv
    }

    /// rsim.json: pretty-printed, keys sorted.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// Profiles that cannot be scored.
public enum RSimReportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No set and method has two items whose every prompt is profiled.
    case noCompleteItems(notes: [String])

    public var description: String {
        switch self {
        case let .noCompleteItems(notes):
            return "no complete items to score (\(notes.joined(separator: "; ")))"
                + "\nHINT: locate more items (a larger --limit), or finish the shards and run `locate rsim merge`."
        }
    }
}
