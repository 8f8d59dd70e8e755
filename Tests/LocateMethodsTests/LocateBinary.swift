import Foundation

/// The `locate` executable built next to this test bundle.
enum LocateBinary {
    static var url: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("locate")
    }

    /// Whether the binary is there.
    static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: url.path) }

    /// Runs the binary; returns its exit status and output (stdout and stderr).
    @discardableResult
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = url
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// `locate trace merge --help` shows the merge command's own help (not `locate trace`'s, which
    /// would take "merge" for a prompt).
    static var hasTraceMerge: Bool {
        guard FileManager.default.isExecutableFile(atPath: url.path), let help = try? run(["trace", "merge", "--help"]) else { return false }
        return help.status == 0 && help.output.contains("Combine shard outputs")
    }
}
