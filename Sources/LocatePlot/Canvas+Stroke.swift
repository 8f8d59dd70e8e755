/// Anti-aliased thick lines and polylines.
///
/// Coverage of a pixel is `clamp(width/2 + 0.5 − d, 0, 1)`, where `d` is the distance from the
/// pixel centre to the nearest segment: a box filter of the ideal stroke with round caps and
/// round joins (for width ≤ 1 this is close to Wu's algorithm). A polyline accumulates the
/// *maximum* coverage over its segments in a mask before compositing once, so joints are not
/// painted twice and a translucent polyline has uniform opacity.
extension Canvas {
    /// Draws a straight line from `a` to `b`.
    ///
    /// - Parameters:
    ///   - a: start, in continuous pixel coordinates (pixel centres at `n + 0.5`).
    ///   - b: end.
    ///   - width: stroke width in pixels.
    ///   - color: stroke colour.
    ///   - opacity: 1 for opaque, smaller to blend with what is below.
    public mutating func drawLine(from a: Point, to b: Point, width: Double = 1, color: RGB, opacity: Double = 1) {
        strokePolyline([a, b], width: width, color: color, opacity: opacity)
    }

    /// Draws connected segments through `points` with round joins and caps.
    ///
    /// Non-finite points break the line: the segments on either side of a NaN are drawn, the
    /// gap is not (as matplotlib does for NaN in `plot`).
    public mutating func strokePolyline(_ points: [Point], width: Double = 1, color: RGB, opacity: Double = 1) {
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard !finite.isEmpty, width > 0, opacity > 0, self.width > 0, height > 0 else { return }
        let reach = width / 2 + 1
        let minX = max(0, Int((finite.map(\.x).min()! - reach).rounded(.down)))
        let maxX = min(self.width - 1, Int((finite.map(\.x).max()! + reach).rounded(.up)))
        let minY = max(0, Int((finite.map(\.y).min()! - reach).rounded(.down)))
        let maxY = min(height - 1, Int((finite.map(\.y).max()! + reach).rounded(.up)))
        guard minX <= maxX, minY <= maxY else { return }
        let maskWidth = maxX - minX + 1
        var mask = [Float](repeating: 0, count: maskWidth * (maxY - minY + 1))   // (rows, maskWidth)

        // Split at non-finite points into runs; a run of one point draws a dot.
        var runs: [[Point]] = [[]]
        for p in points {
            if p.x.isFinite && p.y.isFinite { runs[runs.count - 1].append(p) } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
        }
        for run in runs where !run.isEmpty {
            let segments = run.count == 1 ? [(run[0], run[0])] : (0..<(run.count - 1)).map { (run[$0], run[$0 + 1]) }
            for (a, b) in segments {
                let x0 = max(minX, Int((min(a.x, b.x) - reach).rounded(.down)))
                let x1 = min(maxX, Int((max(a.x, b.x) + reach).rounded(.up)))
                let y0 = max(minY, Int((min(a.y, b.y) - reach).rounded(.down)))
                let y1 = min(maxY, Int((max(a.y, b.y) + reach).rounded(.up)))
                guard x0 <= x1, y0 <= y1 else { continue }
                for y in y0...y1 {
                    for x in x0...x1 {
                        let d = Canvas.distance(from: Point(Double(x) + 0.5, Double(y) + 0.5), toSegment: a, b)
                        let coverage = Float(min(max(width / 2 + 0.5 - d, 0), 1))
                        let i = (y - minY) * maskWidth + (x - minX)
                        if coverage > mask[i] { mask[i] = coverage }
                    }
                }
            }
        }
        for y in minY...maxY {
            for x in minX...maxX {
                let coverage = mask[(y - minY) * maskWidth + (x - minX)]
                if coverage > 0 { blendPixel(x: x, y: y, color: color, alpha: Double(coverage) * opacity) }
            }
        }
    }

    /// Euclidean distance from `p` to the segment `a`–`b`.
    static func distance(from p: Point, toSegment a: Point, _ b: Point) -> Double {
        let dx = b.x - a.x, dy = b.y - a.y
        let lengthSquared = dx * dx + dy * dy
        var t = 0.0
        if lengthSquared > 0 { t = min(max(((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSquared, 0), 1) }
        let cx = a.x + t * dx - p.x, cy = a.y + t * dy - p.y
        return (cx * cx + cy * cy).squareRoot()
    }
}
