import LocatePlot
import Testing

@Suite("Colormaps")
struct ColormapTests {
    /// Expected colours made once with matplotlib 3.11.2 in a venv:
    /// `tuple(round(c * 255) for c in matplotlib.colormaps[name](t)[:3])`, which is also what
    /// Agg writes to a PNG (it rounds to 8 bits).
    static let matplotlibSamples: [(Colormap, Double, RGB)] = [
        (.purples, 0.0, RGB(252, 251, 253)), (.purples, 0.1, RGB(242, 240, 247)), (.purples, 0.25, RGB(218, 218, 235)),
        (.purples, 0.5, RGB(158, 154, 200)), (.purples, 0.7, RGB(114, 98, 172)), (.purples, 0.9, RGB(79, 31, 139)),
        (.purples, 1.0, RGB(63, 0, 125)),
        (.greens, 0.0, RGB(247, 252, 245)), (.greens, 0.25, RGB(199, 233, 192)), (.greens, 0.5, RGB(115, 196, 118)),
        (.greens, 0.7, RGB(47, 151, 78)), (.greens, 1.0, RGB(0, 68, 27)),
        (.reds, 0.0, RGB(255, 245, 240)), (.reds, 0.1, RGB(254, 229, 216)), (.reds, 0.5, RGB(251, 105, 74)),
        (.reds, 0.9, RGB(152, 12, 19)), (.reds, 1.0, RGB(103, 0, 13)),
        (.blues, 0.0, RGB(247, 251, 255)), (.blues, 0.5, RGB(106, 174, 214)), (.blues, 0.7, RGB(46, 126, 188)),
        (.blues, 1.0, RGB(8, 48, 107)),
        (.oranges, 0.0, RGB(255, 245, 235)), (.oranges, 0.25, RGB(253, 208, 162)), (.oranges, 0.5, RGB(253, 140, 59)),
        (.oranges, 0.9, RGB(158, 51, 3)), (.oranges, 1.0, RGB(127, 39, 4)),
        (.viridis, 0.0, RGB(68, 1, 84)), (.viridis, 0.1, RGB(72, 36, 117)), (.viridis, 0.25, RGB(59, 82, 139)),
        (.viridis, 0.5, RGB(33, 145, 140)), (.viridis, 0.7, RGB(68, 191, 112)), (.viridis, 0.9, RGB(189, 223, 38)),
        (.viridis, 1.0, RGB(253, 231, 37)),
    ]

    /// Guards against a colormap that looks plausible but differs from matplotlib's (wrong
    /// control point, interpolation between the wrong neighbours, off-by-one table index,
    /// truncating instead of rounding): figures would silently disagree with ROME's.
    @Test(arguments: matplotlibSamples.indices)
    func matchesMatplotlib(_ index: Int) {
        let (map, t, expected) = Self.matplotlibSamples[index]
        #expect(map.color(t) == expected, "\(map.matplotlibName)(\(t))")
    }

    /// Guards against traps or wrap-around for values outside [0, 1] (scores below `low_score`,
    /// NaN): they must clip to the end colours as matplotlib's under/over colours do.
    @Test(arguments: Colormap.allCases)
    func clipsOutOfRangeValues(_ map: Colormap) {
        #expect(map.table.count == 256)
        #expect(map.color(-0.2) == map.table[0])
        #expect(map.color(1.5) == map.table[255])
        #expect(map.color(0.999) == map.table[255])
        #expect(map.color(.nan) == map.table[0])
        #expect(map.color(-.infinity) == map.table[0])
        #expect(map.color(.infinity) == map.table[255])
    }
}
