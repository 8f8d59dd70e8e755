import ArgumentParser
import LocateModel

struct Hooks: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the hook points of a model with their shapes.")

    @OptionGroup var options: ModelOptions
    @Option(help: "Only this layer's hooks.") var layer: Int?

    func run() throws {
        let model = try options.load()
        let c = model.config
        for hook in HookPoint.all(layers: model.layerCount) where layer == nil || hook.layer == layer || hook.layer == nil {
            let shape: String
            switch hook.site {
            case .attnQ, .attnZ: shape = "[B, T, \(c.headCount), \(c.headDim)]"
            case .attnK, .attnV: shape = "[B, T, \(c.headCountKV), \(c.headDim)]"
            case .attnScores, .attnPattern: shape = "[B, \(c.headCount), T, T]"
            default: shape = "[B, T, \(model.width(of: hook.site))]"
            }
            print("\(hook.description.padding(toLength: 36, withPad: " ", startingAt: 0)) \(shape)")
        }
    }
}
