import Foundation
import LocateCore
import Testing

/// Where test fixtures live: the PyTorch reference in `../shared/reference` (beside the checkout,
/// as on CI) and the default model in the model cache.
public enum Fixtures {
    /// The package root, found from this file's path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the checkout, or `LOCATE_SHARED` when set.
    public static var shared: URL {
        if let path = ProcessInfo.processInfo.environment["LOCATE_SHARED"] { return URL(fileURLWithPath: path) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }
    public static var reference: URL { shared.appendingPathComponent("reference") }
    public static var data: URL { shared.appendingPathComponent("data") }

    /// The default model file: `LOCATE_MODEL`, else `$LOCATE_CACHE/models/…`, else
    /// `$XDG_CACHE_HOME/locate/models/…`, else `~/.cache/locate/models/…`.
    /// `.ci/run` fetches it before the tests; a test that needs it fails loudly when it is absent.
    public static var defaultModel: URL {
        let env = ProcessInfo.processInfo.environment
        if let path = env["LOCATE_MODEL"] { return URL(fileURLWithPath: path) }
        let cache: URL
        if let dir = env["LOCATE_CACHE"] { cache = URL(fileURLWithPath: dir) }
        else if let xdg = env["XDG_CACHE_HOME"] { cache = URL(fileURLWithPath: xdg).appendingPathComponent("locate") }
        else { cache = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/locate") }
        return cache.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    public static func npy(_ relativePath: String) throws -> NPYArray {
        try NPY.read(reference.appendingPathComponent(relativePath))
    }

    public static func json(_ relativePath: String) throws -> Any {
        let data = try Data(contentsOf: reference.appendingPathComponent(relativePath))
        return try JSONSerialization.jsonObject(with: data)
    }
}

/// A reference fixture that exists but does not hold what the tests expect.
public enum FixtureError: Error, CustomStringConvertible {
    case malformed(String)
    public var description: String {
        switch self { case .malformed(let what): "the reference fixture \(what) is malformed: restore ../shared/reference" }
    }
}

/// How the test suite was started: `scripts/test --fast` sets `LOCATE_TEST_FAST=1` to run only
/// the suites that hold for any weights (kernels, formats, tokenizer, the tiny random llama,
/// plots, records files), in well under a minute. A full run (the default, and CI) runs all.
public enum TestMode {
    public static var fast: Bool { ProcessInfo.processInfo.environment["LOCATE_TEST_FAST"] == "1" }
}

extension Trait where Self == ConditionTrait {
    /// A suite that runs the real default model: left out of `scripts/test --fast` only.
    public static var realModel: Self {
        .enabled(if: !TestMode.fast, "runs the real model: left out of scripts/test --fast")
    }
}
