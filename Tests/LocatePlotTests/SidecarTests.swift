import Foundation
import LocatePlot
import Testing

@Suite("Figure sidecars")
struct SidecarTests {
    static func sample() -> FigureSidecar {
        let heatmap = Heatmap(values: [[0.1, 0.2], [0.3, 0.4]], rowLabels: [" The", " Eiffel"], markedRows: [1],
                              title: "Impact of restoring state after corrupted input", xLabel: "layer",
                              colorbarTitle: "p(Paris)", vmin: 0.05)
        return heatmap.sidecar(command: "locate trace --kind hidden --out figures/c1_hidden.png",
                               extras: ["model": "SmolLM2-135M", "seed": 1, "noise": 0.35, "ok": true,
                                        "subject_range": [3, 4], "nested": ["a": nil]])
    }

    /// Guards against sidecars that cannot be read back (a field encoded but not decodable,
    /// extras losing their types): encoding and decoding with a plain JSONDecoder must give
    /// back an equal value.
    @Test func roundTripsThroughJSONDecoder() throws {
        let sidecar = Self.sample()
        let data = try JSONEncoder().encode(sidecar)
        let decoded = try JSONDecoder().decode(FigureSidecar.self, from: data)
        #expect(decoded == sidecar)
        #expect(decoded.kind == .heatmap && decoded.heatmap?.markedRows == [1])
        #expect(decoded.extras["seed"] == .int(1) && decoded.extras["noise"] == .double(0.35))
    }

    /// Guards against the PNG and its sidecar going astray: `write(to:)` must put `x.png` and
    /// `x.json` side by side, and the sidecar alone must redraw the identical picture.
    @Test func writeProducesPNGAndSidecarThatRedraws() throws {
        let folder = temporaryFolder()
        let png = folder.appendingPathComponent("trace.png")
        let heatmap = try #require(Self.sample().heatmap)
        try heatmap.write(to: png, command: "locate trace", extras: ["seed": 1])
        let json = folder.appendingPathComponent("trace.json")
        #expect(FigureSidecar.sidecarURL(forPNG: png) == json)
        let sidecar = try FigureSidecar.read(from: json)
        #expect(sidecar.command == "locate trace" && sidecar.title == heatmap.title)
        let redrawn = try #require(sidecar.render())
        let decoded = try #require(PNGDecoding.decode(Data(contentsOf: png)))
        #expect(decoded.pixels == redrawn.pixels)
    }

    /// Guards against NaN in the plotted numbers making the sidecar unwritable (JSONEncoder's
    /// default throws on NaN): the sidecar's own encoder and decoder keep it.
    @Test func nonFiniteNumbersSurvive() throws {
        let chart = BarChart(values: [1, .nan, .infinity], labels: ["a", "b", "c"], title: "t")
        let data = try FigureSidecar.encoder.encode(chart.sidecar(command: "c"))
        let decoded = try FigureSidecar.decoder.decode(FigureSidecar.self, from: data)
        let values = try #require(decoded.barChart?.values)
        #expect(values[0] == 1 && values[1].isNaN && values[2] == .infinity)
        #expect(decoded.barChart?.color == chart.color && decoded.barChart?.highlightColor == chart.highlightColor)
    }

    /// Guards against a missing or corrupt sidecar trapping the CLI's `plot` command.
    @Test func unreadableSidecarThrows() {
        #expect(throws: PlotError.self) { try FigureSidecar.read(from: URL(fileURLWithPath: "/nonexistent/x.json")) }
    }
}
