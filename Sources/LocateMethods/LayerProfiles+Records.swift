import Foundation
import LocateBatch

extension LayerProfiles: Identifiable {
    /// The records file's kind and version: "profiles", 2 (version 1 files had no header).
    public static let format = RecordsFormat(kind: "profiles", version: 2)
}

/// What must agree between the profiles of one cache file (its header's settings): everything a
/// ``LayerLocator`` locates with, methods aside (a cache gains methods as runs ask for them).
public struct ProfileSettings: Codable, Sendable, Equatable {
    /// The model's file name.
    public var model: String
    /// Trace noise level, corrupted samples, window and noise seed.
    public var noiseLevel: Double
    public var samples: Int
    public var window: Int
    public var seed: UInt32
    /// Where trace profiles are read, and which answer is located.
    public var traceToken: TraceProfileToken
    public var answer: LocatedAnswer
    /// Integration steps, rule and site of the neurons method.
    public var steps: Int
    public var rule: KnowledgeNeurons.Rule
    public var site: KnowledgeNeurons.Site

    enum CodingKeys: String, CodingKey {
        case model, noiseLevel = "noise_level", samples, window, seed, traceToken = "trace_token", answer, steps, rule, site
    }
}

/// A file of cached ``LayerProfiles``, a record per prompt; a later line of a prompt (with more
/// methods) supersedes its earlier ones.
public typealias ProfilesFile = RecordsFile<LayerProfiles, ProfileSettings>

extension LayerLocator {
    /// What this locator writes in a cache file's header.
    public var settings: ProfileSettings {
        ProfileSettings(model: URL(fileURLWithPath: model.source).lastPathComponent, noiseLevel: noiseLevel, samples: samples,
                        window: window, seed: seed, traceToken: traceToken, answer: answer, steps: neuronSettings.steps,
                        rule: neuronSettings.rule, site: neuronSettings.site)
    }

    /// Locates every prompt for the methods its cached profiles lack, appending one line per
    /// prompt located (its new profiles merged with the cached ones). A prompt that cannot be
    /// located is reported through `progress` and skipped (tried again by the next run).
    /// - Throws: ``RecordsError`` when the cache cannot be read or written or was made with other
    ///   settings.
    @discardableResult
    public func fill(_ prompts: [KLoBPrompt], methods: [LocatingMethod], cache url: URL, mode: ProfilesFile.OpenMode = .resume,
                     progress: ProgressReporter? = nil) throws -> FillOutcome {
        let file = try ProfilesFile.open(url, format: LayerProfiles.format, settings: settings, mode: mode)
        var cached = Dictionary(file.latest.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        func missing(_ prompt: KLoBPrompt) -> [LocatingMethod] { methods.filter { cached[prompt.id]?.profile($0) == nil } }
        let outcome = try file.fill(prompts, name: \.id, isDone: { missing($0).isEmpty }, progress: progress) { prompt, _ in
            do {
                var record = try profiles(for: prompt, methods: missing(prompt))
                if let old = cached[prompt.id] { record.profiles.merge(old.profiles) { new, _ in new } }
                cached[prompt.id] = record
                return record
            } catch {
                progress?.note("\(prompt.id): \(error) (skipped)")
                return nil
            }
        }
        return outcome
    }
}

extension LayerProfiles {
    /// The profiles of a cache file, one per prompt (the latest line of each), or none when the
    /// file does not exist.
    /// - Throws: ``RecordsError`` for an unreadable or malformed file, or one without a header
    ///   (written by an older locate: rerun into a new folder).
    public static func read(cache url: URL) throws(RecordsError) -> [LayerProfiles] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        return try ProfilesFile.read(url, format: format).latest
    }

    /// Merges the shard caches of one set (`stem*.jsonl` in `folders`) into `url`, ordered by
    /// item and prompt; nil when there are none.
    /// - Throws: ``RecordsError`` when a file cannot be read, the shards' settings differ, or the
    ///   result cannot be written.
    public static func merge(_ stem: String, in folders: [String], into url: URL) throws(RecordsError) -> [LayerProfiles]? {
        let files = try ProfilesFile.files(in: folders, prefix: stem)
        guard !files.isEmpty else { return nil }
        return try ProfilesFile.merge(files, format: format, into: url) { ($0.item, $0.index) < ($1.item, $1.index) }
    }
}
