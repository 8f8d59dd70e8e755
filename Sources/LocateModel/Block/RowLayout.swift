/// Which rows a block computes and which positions they hold.
///
/// The N rows of a block's buffers are cut into segments; a segment holds `sequences` runs of
/// `length` consecutive positions starting at `firstPosition`, sequence-major
/// (row = firstRow + sequence · length + i holds position firstPosition + i). A plain run is one
/// segment; a staircase is one segment per group of rows that entered together; the
/// last-position pass is one segment of one position per row.
struct RowLayout {
    struct Segment {
        var firstRow: Int
        var sequences: Int
        var firstPosition: Int
        var length: Int
        var rows: Int { sequences * length }
        /// RoPE tables of positions firstPosition ..< firstPosition + length: [length, Dh/2] each.
        var cos: [Float] = []
        var sin: [Float] = []
    }

    private(set) var segments: [Segment] = []
    /// N: rows of all segments.
    private(set) var rows = 0

    init() {}

    /// One segment of `sequences` runs over positions start ..< start + length.
    init(model: Transformer, sequences: Int, firstPosition: Int, length: Int) {
        append(model: model, sequences: sequences, firstPosition: firstPosition, length: length)
    }

    /// Adds a segment after the current rows, with its position tables.
    mutating func append(model: Transformer, sequences: Int, firstPosition: Int, length: Int) {
        var segment = Segment(firstRow: rows, sequences: sequences, firstPosition: firstPosition, length: length)
        if case .rotary = model.architecture.positions {
            (segment.cos, segment.sin) = model.rope.tables(start: firstPosition, count: length)
        }
        segments.append(segment)
        rows += segment.rows
    }

    /// The first `count` segments.
    func prefix(_ count: Int) -> RowLayout {
        var out = RowLayout()
        out.segments = Array(segments.prefix(count))
        out.rows = out.segments.last.map { $0.firstRow + $0.rows } ?? 0
        return out
    }
}
