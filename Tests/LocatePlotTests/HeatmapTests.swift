import Foundation
import LocatePlot
import TestSupport
import Testing

@Suite("Heatmap")
struct HeatmapTests {
    /// Guards against cells drawn with the wrong value, in the wrong place (rows flipped,
    /// transposed) or with the wrong normalization: the centre pixel of each sampled cell
    /// must be exactly the colormap at `(v − vmin)/(vmax − vmin)`, clipped below vmin.
    @Test func cellCentresHaveColormapColours() {
        let values: [[Double]] = (0..<4).map { row in (0..<12).map { column in Double(row * 12 + column) / 47 } }
        let heatmap = Heatmap(values: values, rowLabels: ["a", "b", "c", "d"], markedRows: [1], title: "t",
                              xLabel: "layer", colorbarTitle: "p", colormap: .greens, vmin: 0.1, vmax: 0.9)
        let canvas = heatmap.render()
        let layout = heatmap.layout
        #expect((canvas.width, canvas.height) == (layout.canvasWidth, layout.canvasHeight))
        for (row, column) in [(0, 0), (0, 11), (1, 3), (2, 7), (3, 0), (3, 11)] {
            let value = values[row][column]
            let expected = Colormap.greens.color(min(max((value - 0.1) / 0.8, 0), 1))
            let pixel = canvas.pixel(x: layout.columnCentre(column), y: layout.rowCentre(row))
            #expect(pixel == expected, "cell (\(row), \(column)) = \(value)")
        }
        // Row 0 is at the top: its value is smaller, so it is lighter than row 3.
        #expect(layout.rowCentre(0) < layout.rowCentre(3))
    }

    /// Guards against traps on malformed data (ragged rows, NaN, missing labels, constant
    /// values, no data at all): the figure must still render.
    @Test func oddDataRendersWithoutTrapping() {
        let odd = Heatmap(values: [[1, .nan, 3], [2], []], rowLabels: ["only one"], title: "", xLabel: "",
                          colorbarTitle: "", vmin: nil, vmax: nil)
        #expect(odd.render().width > 0)
        let constant = Heatmap(values: [[0.5, 0.5]], rowLabels: ["x"], title: "c", xLabel: "", colorbarTitle: "")
        let canvas = constant.render()
        #expect(canvas.pixel(x: constant.layout.columnCentre(0), y: constant.layout.rowCentre(0)) == Colormap.purples.color(0))
        #expect(Heatmap(values: [], rowLabels: [], title: "empty", xLabel: "x", colorbarTitle: "y").render().height > 0)
    }

    /// Guards against the ROME conventions drifting: subject tokens get `*`, vmin is the low
    /// score, the colour bar is titled p(answer) and the kinds use Purples/Greens/Reds. Also
    /// renders the reference traces (and a sample line plot and bar chart) into
    /// `$LOCATE_PLOT_CHECK` for a human to compare with the matplotlib PNGs.
    @Test(arguments: TraceKind.allCases)
    func referenceTraceRenders(_ kind: TraceKind) throws {
        let json = try #require(try TestFixtures.causalTrace(kind))
        let heatmap = Heatmap.causalTrace(scores: json.scores, tokens: json.tokens, subjectRange: json.subject,
                                          lowScore: json.lowScore, answer: json.answer, kind: kind,
                                          modelName: "SmolLM2-135M")
        #expect(heatmap.displayLabel(row: 3) == " France*")
        #expect(heatmap.displayLabel(row: 4) == " is")
        #expect(heatmap.colorbarTitle == "p(Paris)")
        #expect(heatmap.colormap == kind.colormap)
        #expect(heatmap.colorRange.lower == json.lowScore)
        let canvas = heatmap.render()
        #expect(canvas.width >= 700 && canvas.width <= 1000 && canvas.height >= 400 && canvas.height <= 520)
        // The strongest cell is drawn with the darkest colour.
        let (row, column) = json.argmax
        #expect(canvas.pixel(x: heatmap.layout.columnCentre(column), y: heatmap.layout.rowCentre(row)) == kind.colormap.table[255])
        try canvas.writePNG(to: figureCheckFolder().appendingPathComponent("c1_\(kind.rawValue).png"))
    }
}

/// The reference causal traces of `shared/reference/causal_trace`.
enum TestFixtures {
    struct Trace {
        let scores: [[Double]]
        let tokens: [String]
        let subject: Range<Int>
        let lowScore: Double
        let answer: String

        var argmax: (Int, Int) {
            var best = (0, 0)
            for (r, row) in scores.enumerated() { for (c, v) in row.enumerated() where v > scores[best.0][best.1] { best = (r, c) } }
            return best
        }
    }

    static func causalTrace(_ kind: TraceKind) throws -> Trace? {
        let url = Fixtures.reference.appendingPathComponent("causal_trace/c1_\(kind.rawValue).json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let dict = object as? [String: Any],
              let scores = dict["scores"] as? [[Double]], let tokens = dict["input_tokens"] as? [String],
              let range = dict["subject_range"] as? [Int], range.count == 2,
              let low = dict["low_score"] as? Double, let answer = dict["answer"] as? String else { return nil }
        return Trace(scores: scores, tokens: tokens, subject: range[0]..<range[1], lowScore: low, answer: answer)
    }
}
