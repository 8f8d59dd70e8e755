import Foundation
import LocateCore

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
