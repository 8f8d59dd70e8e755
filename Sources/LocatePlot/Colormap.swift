/// The colormaps of ROME's figures, reproducing matplotlib's 8-bit output exactly.
///
/// - The sequential ColorBrewer maps (`Purples` for hidden states, `Greens` for MLP, `Reds` for
///   attention, plus `Blues` and `Oranges`) are 9 control colours, linearly interpolated into a
///   256-entry table as matplotlib's `LinearSegmentedColormap.from_list(…, N=256)` does
///   (`matplotlib.colors._create_lookup_table`).
/// - `viridis` is matplotlib's 256-entry `ListedColormap` (`_cm_listed._viridis_data`), stored
///   rounded to 8 bits.
///
/// A value `t` picks entry `Int(t · 256)` as `Colormap.__call__` does (`t = 1` picks the last
/// entry; values below 0 or above 1 clip to the ends). Colours are rounded to 8 bits like Agg's
/// `rgba8` conversion, so they equal the pixels matplotlib writes to a PNG.
///
/// Provenance: control points from matplotlib 3.11 `_cm.py` (`_Purples_data`, …), which copies
/// ColorBrewer 2.0 (Cynthia Brewer, Apache-2.0-style licence).
public enum Colormap: String, Codable, CaseIterable, Sendable {
    case purples, greens, reds, blues, oranges, viridis

    /// Number of table entries, matplotlib's default `N`.
    public static let entries = 256

    /// The name matplotlib knows the map by (`"Purples"`, `"viridis"`).
    public var matplotlibName: String {
        switch self {
        case .purples: "Purples"
        case .greens: "Greens"
        case .reds: "Reds"
        case .blues: "Blues"
        case .oranges: "Oranges"
        case .viridis: "viridis"
        }
    }

    /// The colour for `t` in [0, 1]; values outside clip to the ends and NaN maps to the
    /// lowest colour.
    ///
    /// - Parameter t: the normalized value, `(v − vmin) / (vmax − vmin)`.
    /// - Returns: the table entry `min(Int(t · 256), 255)`.
    public func color(_ t: Double) -> RGB {
        let table = self.table
        guard !t.isNaN else { return table[0] }
        let scaled = t * Double(Colormap.entries)
        if scaled < 0 { return table[0] }
        if scaled >= Double(Colormap.entries) { return table[Colormap.entries - 1] }
        return table[Int(scaled)]
    }

    /// The 256 colours from low to high.
    public var table: [RGB] {
        switch self {
        case .purples: Colormap.purplesTable
        case .greens: Colormap.greensTable
        case .reds: Colormap.redsTable
        case .blues: Colormap.bluesTable
        case .oranges: Colormap.orangesTable
        case .viridis: Colormap.viridisTable
        }
    }

    // ColorBrewer sequential 9-class control colours, low to high.
    static let purplesControls: [UInt32] = [0xFCFBFD, 0xEFEDF5, 0xDADAEB, 0xBCBDDC, 0x9E9AC8, 0x807DBA, 0x6A51A3, 0x54278F, 0x3F007D]
    static let greensControls: [UInt32] = [0xF7FCF5, 0xE5F5E0, 0xC7E9C0, 0xA1D99B, 0x74C476, 0x41AB5D, 0x238B45, 0x006D2C, 0x00441B]
    static let redsControls: [UInt32] = [0xFFF5F0, 0xFEE0D2, 0xFCBBA1, 0xFC9272, 0xFB6A4A, 0xEF3B2C, 0xCB181D, 0xA50F15, 0x67000D]
    static let bluesControls: [UInt32] = [0xF7FBFF, 0xDEEBF7, 0xC6DBEF, 0x9ECAE1, 0x6BAED6, 0x4292C6, 0x2171B5, 0x08519C, 0x08306B]
    static let orangesControls: [UInt32] = [0xFFF5EB, 0xFEE6CE, 0xFDD0A2, 0xFDAE6B, 0xFD8D3C, 0xF16913, 0xD94801, 0xA63603, 0x7F2704]

    static let purplesTable = interpolatedTable(purplesControls)
    static let greensTable = interpolatedTable(greensControls)
    static let redsTable = interpolatedTable(redsControls)
    static let bluesTable = interpolatedTable(bluesControls)
    static let orangesTable = interpolatedTable(orangesControls)
    static let viridisTable: [RGB] = viridisHex.map { RGB(hex: $0) }

    /// matplotlib's `_create_lookup_table(N, data)` for evenly spaced control colours.
    ///
    /// Control `k` sits at `x_k = k/(K−1) · (N−1)`; entry `i` (sampled at `i/(N−1) · (N−1)`,
    /// computed the same way numpy's `linspace` does) interpolates linearly between the two
    /// controls around it. Entries 0 and N−1 are the end colours.
    static func interpolatedTable(_ controls: [UInt32], entries n: Int = Colormap.entries) -> [RGB] {
        let colors = controls.map { RGB(hex: $0) }
        let channels: [[Double]] = [colors.map { Double($0.r) / 255 }, colors.map { Double($0.g) / 255 }, colors.map { Double($0.b) / 255 }]
        let k = controls.count
        let step = 1.0 / Double(k - 1)
        let x = (0..<k).map { Double($0) * step * Double(n - 1) }
        let sampleStep = 1.0 / Double(n - 1)
        var table: [RGB] = []
        table.reserveCapacity(n)
        for i in 0..<n {
            var rgb: [UInt8] = []
            for values in channels {
                let level: Double
                if i == 0 {
                    level = values[0]
                } else if i == n - 1 {
                    level = values[k - 1]
                } else {
                    let position = Double(i) * sampleStep * Double(n - 1)
                    // numpy.searchsorted(x, position, side='left'): first control at or right of it.
                    var upper = 1
                    while upper < k - 1 && x[upper] < position { upper += 1 }
                    let distance = (position - x[upper - 1]) / (x[upper] - x[upper - 1])
                    level = distance * (values[upper] - values[upper - 1]) + values[upper - 1]
                }
                rgb.append(UInt8((min(max(level, 0), 1) * 255).rounded()))
            }
            table.append(RGB(rgb[0], rgb[1], rgb[2]))
        }
        return table
    }
}
