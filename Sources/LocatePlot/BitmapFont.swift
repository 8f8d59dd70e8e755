/// A fixed-width bitmap font: every character occupies one cell of `cellWidth × cellHeight`
/// pixels at scale 1, drawn at integer multiples of that size.
///
/// The only font shipped is ``fixed6x13``, the public-domain X11 "fixed" 6×13 font
/// (see `BitmapFont+Fixed6x13.swift` for its provenance). It covers printable ASCII and Latin-1
/// (U+0020–U+007E, U+00A0–U+00FF). A few common typographic characters are drawn as their ASCII
/// look-alikes (curly quotes as straight quotes, en and em dashes and the minus sign as `-`);
/// any other character — a control character, CJK, an emoji, a letter with a combining mark —
/// is drawn as the *fallback glyph*, a hollow box the size of a capital letter, so a token that
/// the font cannot show still occupies exactly one cell and the label keeps its length.
///
/// One cell is one `Character` (an extended grapheme cluster), so measured widths agree with
/// what is drawn: ``measure(_:scale:bold:)`` is `count × cellWidth × scale`.
public struct BitmapFont: Sendable {
    /// Cell width in pixels at scale 1.
    public let cellWidth: Int
    /// Cell height in pixels at scale 1 (ascent plus descent).
    public let cellHeight: Int
    /// Rows above the baseline at scale 1.
    public let ascent: Int
    /// Glyph rows by Unicode scalar; bit 7 of each byte is the leftmost column.
    let glyphs: [UInt32: [UInt8]]
    /// Rows of the glyph drawn for characters the font lacks.
    let fallback: [UInt8]

    /// The X11 misc-fixed 6×13 font: 6 pixels wide, 13 high, baseline 11 rows from the top.
    ///
    /// Provenance: Debian xfonts-base, `6x13-ISO8859-1.pcf.gz`; public domain.
    public static let fixed6x13: BitmapFont = {
        var glyphs: [UInt32: [UInt8]] = [:]
        for line in fixed6x13Table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let code = UInt32(fields[0], radix: 16) else { continue }
            let hex = Array(fields[1].utf8)
            var rows: [UInt8] = []
            var i = 0
            while i + 1 < hex.count {
                rows.append(UInt8(hexDigit(hex[i]) << 4 | hexDigit(hex[i + 1])))
                i += 2
            }
            glyphs[code] = rows
        }
        // Fallback: a hollow box from the cap line to the baseline (own design).
        let box: [UInt8] = [0x00, 0x00, 0xF8, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0xF8, 0x00, 0x00]
        return BitmapFont(cellWidth: 6, cellHeight: 13, ascent: 11, glyphs: glyphs, fallback: box)
    }()

    private static func hexDigit(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return 0
        }
    }

    /// Characters outside the table drawn as an ASCII look-alike.
    private static let substitutes: [UInt32: UInt32] = [
        0x2018: 0x27, 0x2019: 0x27, 0x201C: 0x22, 0x201D: 0x22,   // ‘ ’ “ ”
        0x2013: 0x2D, 0x2014: 0x2D, 0x2212: 0x2D,                 // – — −
    ]

    /// Whether `character` has its own glyph (or an ASCII look-alike) rather than the fallback box.
    public func hasGlyph(_ character: Character) -> Bool {
        scalarCode(of: character).map { glyphs[$0] != nil } ?? false
    }

    /// The `cellHeight` rows of the glyph drawn for `character`; bit 7 is the leftmost column.
    public func rows(for character: Character) -> [UInt8] {
        guard let code = scalarCode(of: character), let rows = glyphs[code] else { return fallback }
        return rows
    }

    private func scalarCode(of character: Character) -> UInt32? {
        let scalars = character.unicodeScalars
        guard scalars.count == 1, let scalar = scalars.first else { return nil }
        return BitmapFont.substitutes[scalar.value] ?? scalar.value
    }

    /// The size of `text` set horizontally, in pixels.
    ///
    /// - Parameters:
    ///   - text: the string; each `Character` takes one cell.
    ///   - scale: the integer magnification (values below 1 count as 1).
    ///   - bold: bold text is drawn twice, one pixel apart, so it is one pixel wider.
    /// - Returns: `width = count × cellWidth × scale (+1 if bold)`, `height = cellHeight × scale`;
    ///   the empty string measures 0 wide.
    public func measure(_ text: String, scale: Int, bold: Bool = false) -> (width: Int, height: Int) {
        let s = max(1, scale)
        let count = text.count
        return (count == 0 ? 0 : count * cellWidth * s + (bold ? 1 : 0), cellHeight * s)
    }
}
