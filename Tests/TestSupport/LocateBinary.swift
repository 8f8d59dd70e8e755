import Foundation
import Testing

/// The `locate` executable that `swift test` builds beside the test bundle.
public enum LocateBinary {
    public static var url: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("locate")
    }

    /// Fails the calling test (never skips it) when the binary is missing.
    public static func require(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(FileManager.default.isExecutableFile(atPath: url.path),
                     "no locate binary at \(url.path): `swift build` builds it beside the tests", sourceLocation: sourceLocation)
    }

    /// The result of one run.
    public struct Outcome: Sendable {
        public let status: Int32
        /// Standard output.
        public let output: String
        /// Standard error.
        public let errors: String
        /// Both, output first.
        public var all: String { output + errors }
    }

    /// Runs the binary with `arguments` (empty standard input, `environment` added to this
    /// process's) and waits for it.
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String] = [:], in folder: URL? = nil) throws -> Outcome {
        let process = Process()
        let out = Pipe()
        // standard error to a file, so a child that writes much to both never blocks on a full pipe
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("locate-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let err = try FileHandle(forWritingTo: errorFile)
        defer { try? err.close() }
        process.executableURL = url
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let folder { process.currentDirectoryURL = folder }
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                       errors: String(decoding: (try? Data(contentsOf: errorFile)) ?? Data(), as: UTF8.self))
    }
}
