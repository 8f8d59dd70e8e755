import Foundation

/// A ROME-style heatmap: one row per token (first token at the top), one column per layer,
/// a colour bar on the right.
///
/// This reproduces `plot_trace_heatmap` of ROME's `experiments/causal_trace.py`
/// (ALGORITHMS.md §1.6): `pcolor` with cells coloured by `(v − vmin)/(vmax − vmin)`, y ticks at
/// row centres labelled with the tokens (marked rows get a trailing `*`), x ticks every
/// ``xTickStep`` columns at cell centres, and a colour bar whose title (`p(Paris)`) sits under
/// the bar. ROME generates x ticks only for `l < L − 6`; here every multiple of the step is
/// labelled.
///
///     let figure = Heatmap.causalTrace(scores: scores, tokens: tokens, subjectRange: 3..<4,
///                                      lowScore: 0.0047, answer: " Paris", kind: .hidden,
///                                      modelName: "SmolLM2-135M")
///     try figure.render().writePNG(to: url)
///
/// NaN values are left blank. Rows shorter than the longest are padded with blanks; missing
/// labels are blank. Labels are drawn with the bitmap font: characters outside Latin-1 appear
/// as a hollow box (see ``BitmapFont``); labels longer than ``maxLabelCharacters`` are cut with
/// `...`.
public struct Heatmap: Figure, Equatable {
    /// `.heatmap`.
    public static let kind = FigureKind.heatmap

    /// The plotted numbers, `values[row][column]`: (tokens, layers).
    public var values: [[Double]]
    /// One label per row, top to bottom.
    public var rowLabels: [String]
    /// Rows whose label gets a trailing `*` (ROME's subject tokens), ascending.
    public var markedRows: [Int]
    /// Drawn above the grid.
    public var title: String
    /// Drawn under the x tick labels.
    public var xLabel: String
    /// Drawn rotated left of the row labels; ROME leaves it empty.
    public var yLabel: String
    /// Drawn centred under the colour bar (ROME: `p(<answer>)`, or `AIE`).
    public var colorbarTitle: String
    /// The cell colours.
    public var colormap: Colormap
    /// The value drawn with the lowest colour; `nil` for the smallest finite value.
    public var vmin: Double?
    /// The value drawn with the highest colour; `nil` for the largest finite value.
    public var vmax: Double?
    /// Columns between labelled x ticks; 0 or less for no ticks.
    public var xTickStep: Int
    /// The number printed at column 0's tick (layers count from 0).
    public var firstColumnNumber: Int
    /// Pixels per point; 2 renders a 220 pt wide grid as 440 pixels.
    public var scale: Int

    /// Labels longer than this are shortened.
    public static let maxLabelCharacters = 32

    /// A heatmap of `values` (rows × columns).
    ///
    /// - Parameters:
    ///   - values: `values[row][column]`, drawn with row 0 at the top.
    ///   - rowLabels: one label per row.
    ///   - markedRows: rows whose labels get a trailing `*`.
    ///   - title: drawn above the grid.
    ///   - xLabel: drawn under the x tick labels.
    ///   - yLabel: drawn rotated left of the row labels (ROME leaves it empty).
    ///   - colorbarTitle: drawn under the colour bar.
    ///   - colormap: ROME uses `.purples` (hidden), `.greens` (MLP), `.reds` (attention).
    ///   - vmin: lowest colour; ROME passes the corrupted run's `low_score`.
    ///   - vmax: highest colour; ROME leaves it to the data maximum.
    ///   - xTickStep: label every `xTickStep`-th column.
    ///   - firstColumnNumber: the number of column 0.
    ///   - scale: pixels per point.
    public init(values: [[Double]], rowLabels: [String], markedRows: Set<Int> = [], title: String,
                xLabel: String, yLabel: String = "", colorbarTitle: String, colormap: Colormap = .purples,
                vmin: Double? = nil, vmax: Double? = nil, xTickStep: Int = 5, firstColumnNumber: Int = 0,
                scale: Int = 2) {
        self.values = values
        self.rowLabels = rowLabels
        self.markedRows = markedRows.sorted()
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.colorbarTitle = colorbarTitle
        self.colormap = colormap
        self.vmin = vmin
        self.vmax = vmax
        self.xTickStep = xTickStep
        self.firstColumnNumber = firstColumnNumber
        self.scale = scale
    }

    /// Rows × columns after padding ragged rows.
    public var shape: (rows: Int, columns: Int) {
        (values.count, values.map(\.count).max() ?? 0)
    }

    /// The colour range used: ``vmin``/``vmax`` or the finite data extremes (0…1 without data).
    public var colorRange: (lower: Double, upper: Double) {
        let finite = values.joined().filter(\.isFinite)
        let lower = vmin ?? finite.min() ?? 0
        let upper = vmax ?? finite.max() ?? 1
        return (lower, upper)
    }

    /// `(v − lower)/(upper − lower)`, or 0 when the range is empty (as matplotlib's `Normalize`).
    public func normalized(_ value: Double) -> Double {
        let (lower, upper) = colorRange
        guard upper > lower else { return 0 }
        return (value - lower) / (upper - lower)
    }

    /// The label drawn for `row`: shortened, plus `*` when marked.
    public func displayLabel(row: Int) -> String {
        var label = row < rowLabels.count ? rowLabels[row] : ""
        if label.count > Heatmap.maxLabelCharacters { label = String(label.prefix(Heatmap.maxLabelCharacters - 3)) + "..." }
        return markedRows.contains(row) ? label + "*" : label
    }
}

/// ROME's three causal-tracing kinds.
public enum TraceKind: String, Codable, Sendable, CaseIterable {
    case hidden, mlp, attn

    /// Purples, Greens, Reds.
    public var colormap: Colormap {
        switch self {
        case .hidden: .purples
        case .mlp: .greens
        case .attn: .reds
        }
    }

    /// "state", "MLP", "Attn": the word in ROME's titles.
    var titleWord: String {
        switch self {
        case .hidden: "state"
        case .mlp: "MLP"
        case .attn: "Attn"
        }
    }
}

extension Heatmap {
    /// ROME's single-prompt causal-tracing figure (ALGORITHMS.md §1.6).
    ///
    /// - Parameters:
    ///   - scores: restored probability, `scores[token][layer]`.
    ///   - tokens: the decoded input tokens.
    ///   - subjectRange: token indices of the subject, marked with `*`.
    ///   - lowScore: the corrupted run's probability, used as `vmin`.
    ///   - answer: the decoded answer token; the colour bar is titled `p(answer)` (trimmed).
    ///   - kind: hidden, MLP or attention; picks title, x label and colormap.
    ///   - modelName: named in the hidden-state x label.
    ///   - window: the number of restored layers in the MLP/attention x labels (ROME: 10).
    public static func causalTrace(scores: [[Double]], tokens: [String], subjectRange: Range<Int>,
                                   lowScore: Double, answer: String, kind: TraceKind, modelName: String,
                                   window: Int = 10) -> Heatmap {
        let xLabel = kind == .hidden
            ? "single restored layer within \(modelName)"
            : "center of interval of \(window) restored \(kind.titleWord) layers"
        return Heatmap(values: scores, rowLabels: tokens, markedRows: Set(subjectRange),
                       title: "Impact of restoring \(kind.titleWord) after corrupted input", xLabel: xLabel,
                       colorbarTitle: "p(\(answer.trimmingCharacters(in: .whitespaces)))", colormap: kind.colormap,
                       vmin: lowScore, vmax: nil)
    }

    /// The six token groups of ROME's average-indirect-effect figures, top to bottom.
    public static let averageEffectRowLabels = [
        "First subject token", "Middle subject tokens", "Last subject token",
        "First subsequent token", "Further tokens", "Last token",
    ]

    /// ROME's average-indirect-effect heatmap (ALGORITHMS.md §1.7): six labelled rows, `vmin`
    /// 0, `vmax` shared across the three kinds (the maximum of the hidden-state plot).
    ///
    /// - Parameters:
    ///   - effects: `effects[group][layer]`, groups in ``averageEffectRowLabels`` order.
    ///   - kind: hidden, MLP or attention.
    ///   - promptCount: N in the title "… over N prompts".
    ///   - vmax: the shared maximum.
    ///   - modelName: named in the x label.
    ///   - window: restored layers per MLP/attention interval.
    public static func averageIndirectEffect(effects: [[Double]], kind: TraceKind, promptCount: Int, vmax: Double,
                                             modelName: String, window: Int = 10) -> Heatmap {
        let what: String
        switch kind {
        case .hidden: what = "h_i^(l)"
        case .mlp: what = "MLP"
        case .attn: what = "Attn"
        }
        let xLabel = kind == .hidden
            ? "single patched layer within \(modelName)"
            : "center of interval of \(window) patched \(kind.rawValue) layers"
        return Heatmap(values: effects, rowLabels: averageEffectRowLabels,
                       title: "Avg Indirect Effect of \(what) over \(promptCount) prompts", xLabel: xLabel,
                       colorbarTitle: "AIE", colormap: kind.colormap, vmin: 0, vmax: vmax)
    }
}
