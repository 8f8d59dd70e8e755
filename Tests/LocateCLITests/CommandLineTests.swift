import Foundation
import Testing
import TestSupport

/// The `locate` executable as a user meets it: exit codes, the JSON it prints, its help screens.
@Suite("Command line", .realModel)
struct CommandLineTests {
    /// Usage errors exit with 64, print what is wrong with the subcommand's usage, and never a
    /// backtrace.
    @Test(arguments: [
        ["nosuch"],
        ["trace", "--samples", "abc", "x"],
        ["tokenize"],
        ["run", "The capital of France is", "--top-k", "many"],
        ["generate", "Hi", "--threads", "0"],
    ])
    func usageErrorsExit64(_ arguments: [String]) throws {
        try LocateBinary.require()
        let r = try LocateBinary.run(arguments)
        #expect(r.status == 64, "\(arguments): \(r.all)")
        #expect(r.errors.contains("Error:"), "\(r.errors)")
        #expect(!r.all.contains("Backtrace") && !r.all.contains("crashed"), "\(r.all)")
    }

    /// A bad LOCATE_THREADS is refused before any work, naming the variable.
    @Test func badThreadVariableIsAUsageError() throws {
        try LocateBinary.require()
        let r = try LocateBinary.run(["hooks"], environment: ["LOCATE_THREADS": "lots"])
        #expect(r.status == 64)
        #expect(r.errors.contains("LOCATE_THREADS") && r.errors.contains("\"lots\""), "\(r.errors)")
    }

    @Test func tokenizeJSON() throws {
        try LocateBinary.require()
        let r = try LocateBinary.run(["tokenize", "Hello world", "--json"])
        #expect(r.status == 0, "\(r.all)")
        let tokens = try #require(try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [[String: Any]])
        #expect(tokens.map { $0["id"] as? Int } == [19556, 905])
        #expect(tokens.map { Set($0.keys) } == Array(repeating: ["id", "index", "text", "token", "utf8"], count: 2))
    }

    /// `run --json`: the prompt's tokens and the top next tokens with their probabilities.
    @Test func runJSON() throws {
        try LocateBinary.require()
        let r = try LocateBinary.run(["run", "The capital of France is", "--json"])
        #expect(r.status == 0, "\(r.all)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String: Any])
        #expect(Set(root.keys) == ["interventions", "model", "prompt", "recorded", "tokens", "top"])
        let top = try #require(root["top"] as? [[String: Any]])
        #expect(top.first?["text"] as? String == " Paris")
        let p = try #require(top.first?["probability"] as? Double)
        #expect(p > 0.5 && p < 1)
        #expect(top.map { $0["rank"] as? Int } == Array(1...top.count))
    }

    @Test func hooksListEveryLayer() throws {
        try LocateBinary.require()
        let r = try LocateBinary.run(["hooks"])
        #expect(r.status == 0, "\(r.all)")
        #expect(r.output.contains("blocks.0.hook_resid_pre") && r.output.contains("blocks.29.hook_resid_post"))
    }
}

/// Help screens need no model.
@Suite("Help screens")
struct HelpScreenTests {
    /// Every command's help exits 0 and wraps cleanly: no line wider than 80 columns, and no
    /// paragraph broken short (a line followed by its paragraph's continuation is nearly full).
    @Test func helpScreensWrapCleanly() throws {
        try LocateBinary.require()
        var commands: [[String]] = [[]]
        var seen = 0
        while seen < commands.count {
            let command = commands[seen]; seen += 1
            let r = try LocateBinary.run(command + ["--help"])
            #expect(r.status == 0, "\(command): \(r.all)")
            let lines = r.output.components(separatedBy: "\n")
            // the usage line lists every option and is not wrapped; every other line is
            for line in lines where !line.hasPrefix("USAGE:") { #expect(line.count <= 80, "\(command): \(line)") }
            let overview = lines.prefix { !$0.hasPrefix("USAGE:") }
            for (a, b) in zip(overview, overview.dropFirst()) where !a.isEmpty && !b.isEmpty {
                let indent = { (s: String) in s.prefix { $0 == " " }.count }
                guard indent(a) == indent(b), let first = b.drop(while: { $0 == " " }).first, first.isLowercase else { continue }
                #expect(a.count >= 50, "\(command): a paragraph breaks early after \"\(a)\"")
            }
            if let start = lines.firstIndex(of: "SUBCOMMANDS:") {
                for line in lines[(start + 1)...] {
                    guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first,
                          name != "See", !name.hasPrefix("'") else { continue }
                    commands.append(command + [String(name)])
                }
            }
        }
        #expect(commands.count > 20, "found only \(commands.count) commands")
    }
}
