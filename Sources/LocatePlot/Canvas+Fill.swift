/// Anti-aliased polygon filling, used for the shaded confidence bands of line plots.
extension Canvas {
    /// Number of sub-scanlines per pixel row; horizontal coverage is computed exactly.
    static let subScanlines = 4

    /// A non-horizontal polygon edge, oriented from its lower to its higher y.
    private struct Edge {
        let lowY: Double, highY: Double
        let xAtLowY: Double, slope: Double   // dx/dy
        let winding: Int                     // +1 when the polygon runs downwards here
    }

    /// Fills the polygon through `vertices` (closed implicitly) with the non-zero winding rule.
    ///
    /// Each pixel row is sampled on ``subScanlines`` horizontal lines; along each line the
    /// covered spans contribute their exact fractional overlap with every pixel. The summed
    /// coverage (at most 1) times `opacity` is the blending weight, so a band drawn with
    /// `opacity: 0.2` looks like matplotlib's `fill_between(…, alpha=0.2)`.
    ///
    /// - Parameters:
    ///   - vertices: the corners, in continuous pixel coordinates; non-finite vertices are
    ///     dropped.
    ///   - color: fill colour.
    ///   - opacity: 1 for opaque, smaller to blend with what is below.
    public mutating func fillPolygon(_ vertices: [Point], color: RGB, opacity: Double = 1) {
        let points = vertices.filter { $0.x.isFinite && $0.y.isFinite }
        guard points.count >= 3, opacity > 0, width > 0, height > 0 else { return }
        let minY = max(0, Int(points.map(\.y).min()!.rounded(.down)))
        let maxY = min(height - 1, Int(points.map(\.y).max()!.rounded(.up)))
        guard minY <= maxY else { return }

        // Edges bucketed by the pixel rows they cross, so a row only looks at its own edges.
        var edges: [Edge] = []
        var buckets = [[Int]](repeating: [], count: maxY - minY + 1)
        for i in points.indices {
            let a = points[i], b = points[(i + 1) % points.count]
            guard a.y != b.y else { continue }
            let (low, high) = a.y < b.y ? (a, b) : (b, a)
            edges.append(Edge(lowY: low.y, highY: high.y, xAtLowY: low.x, slope: (high.x - low.x) / (high.y - low.y),
                              winding: a.y < b.y ? 1 : -1))
            let first = max(minY, Int(low.y.rounded(.down))), last = min(maxY, Int(high.y.rounded(.up)))
            if first <= last { for row in first...last { buckets[row - minY].append(edges.count - 1) } }
        }

        var coverage = [Double](repeating: 0, count: width)   // (width,) for the current row
        var crossings: [(x: Double, winding: Int)] = []
        let share = 1 / Double(Canvas.subScanlines)
        let canvasWidth = width
        // Raw buffers: this loop touches every covered pixel several times.
        coverage.withUnsafeMutableBufferPointer { coverage in
            pixels.withUnsafeMutableBufferPointer { pixels in
                for y in minY...maxY {
                    var touchedLower = canvasWidth, touchedUpper = -1   // columns with coverage in this row
                    for k in 0..<Canvas.subScanlines {
                        let sy = Double(y) + (Double(k) + 0.5) * share
                        crossings.removeAll(keepingCapacity: true)
                        for index in buckets[y - minY] {
                            let edge = edges[index]
                            guard sy >= edge.lowY, sy < edge.highY else { continue }
                            crossings.append((edge.xAtLowY + (sy - edge.lowY) * edge.slope, edge.winding))
                        }
                        crossings.sort { $0.x < $1.x }
                        var winding = 0
                        for (index, crossing) in crossings.enumerated() {
                            let before = winding
                            winding += crossing.winding
                            guard before != 0, index > 0 else { continue }
                            let start = max(0, crossings[index - 1].x), end = min(Double(canvasWidth), crossing.x)
                            guard start < end else { continue }
                            let first = Int(start.rounded(.down)), last = min(canvasWidth - 1, Int(end.rounded(.up)) - 1)
                            touchedLower = min(touchedLower, first)
                            touchedUpper = max(touchedUpper, last)
                            if first == last {
                                coverage[first] += (end - start) * share
                            } else {
                                coverage[first] += (Double(first + 1) - start) * share
                                if first + 1 < last { for px in (first + 1)..<last { coverage[px] += share } }
                                coverage[last] += (end - Double(last)) * share
                            }
                        }
                    }
                    guard touchedLower <= touchedUpper else { continue }
                    for x in touchedLower...touchedUpper where coverage[x] > 0 {
                        Canvas.blend(pixels, at: (y * canvasWidth + x) * 3, color: color, alpha: min(coverage[x], 1) * opacity)
                        coverage[x] = 0
                    }
                }
            }
        }
    }
}
