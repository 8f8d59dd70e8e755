import LocatePlot
import Testing

@Suite("Bitmap text")
struct TextTests {
    static let cases: [(String, TextOrientation, Bool)] = [
        ("Impact of restoring state", .horizontal, false),
        ("p(Paris) g_y|", .vertical, false),
        ("France*", .horizontal, true),
        ("Zürich 東京 😀", .horizontal, false),
        ("Avg effect", .vertical, true),
    ]

    /// Guards against text whose measured box is wrong (labels overlapping the axes or being
    /// cut off by layout that trusts the measurement), including rotated, bold and non-Latin
    /// text: all ink must fall inside `textBox`, and there must be ink.
    @Test(arguments: cases.indices)
    func inkStaysInsideMeasuredBox(_ index: Int) {
        let (text, orientation, bold) = Self.cases[index]
        var canvas = Canvas(width: 400, height: 400)
        let box = canvas.drawText(text, x: 200, y: 200, anchor: .center, orientation: orientation, bold: bold)
        #expect(box == Canvas.textBox(text, x: 200, y: 200, anchor: .center, orientation: orientation, bold: bold))
        let size = BitmapFont.fixed6x13.measure(text, scale: 2, bold: bold)
        #expect(orientation == .horizontal ? (box.width, box.height) == (size.width, size.height)
                                           : (box.width, box.height) == (size.height, size.width))
        var inkInside = 0, inkOutside = 0
        for y in 0..<canvas.height {
            for x in 0..<canvas.width where canvas.pixel(x: x, y: y) != .white {
                if box.contains(x: x, y: y) { inkInside += 1 } else { inkOutside += 1 }
            }
        }
        #expect(inkInside > 0)
        #expect(inkOutside == 0)
    }

    /// Guards against non-Latin tokens vanishing or shifting a label: each unknown character
    /// must take one cell and draw the fallback box, not nothing.
    @Test func unknownCharactersDrawTheFallbackBox() {
        let font = BitmapFont.fixed6x13
        #expect(font.hasGlyph("A") && font.hasGlyph("é") && font.hasGlyph("’"))
        #expect(!font.hasGlyph("東") && !font.hasGlyph("😀") && !font.hasGlyph("\n"))
        #expect(font.rows(for: "東") == font.rows(for: "😀"))
        #expect(font.rows(for: "東").contains { $0 != 0 })
        #expect(font.measure("a東b", scale: 2).width == 3 * 12)
    }

    /// Guards against the rotated y label reading the wrong way: the first character of
    /// vertical text must end up at the bottom of its box, as matplotlib's rotated labels do.
    @Test func verticalTextReadsBottomToTop() {
        var canvas = Canvas(width: 100, height: 200)
        let box = canvas.drawText("I        ", x: 10, y: 10, orientation: .vertical)
        var inkRows: [Int] = []
        for y in box.y..<box.maxY where (box.x..<box.maxX).contains(where: { canvas.pixel(x: $0, y: y) != .white }) {
            inkRows.append(y)
        }
        #expect(!inkRows.isEmpty)
        #expect(inkRows.allSatisfy { $0 >= box.maxY - 12 })
    }
}
