import Foundation
import LocatePlot
import Testing

@Suite("PNG output")
struct PNGTests {
    /// Guards against a PNG that libpng writes but that holds other pixels (wrong stride,
    /// channel order, RGBA/RGB mix-up): decoding with libpng's reader must give back the
    /// same size and every pixel.
    @Test func pngRoundTripsThroughLibpng() throws {
        var canvas = Canvas(width: 37, height: 23)
        canvas.fillRect(x: 3, y: 4, width: 10, height: 7, color: RGB(hex: 0x3F007D))
        canvas.drawLine(from: Point(0, 22), to: Point(36, 0), width: 2.5, color: RGB(hex: 0xFF7F0E))
        canvas.drawText("Hi", x: 20, y: 2, color: RGB(hex: 0x2CA02C))
        let data = try canvas.encodePNG()
        #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let decoded = try #require(PNGDecoding.decode(data))
        #expect(decoded.width == 37 && decoded.height == 23)
        #expect(decoded.pixels == canvas.pixels)
    }

    /// Guards against a trap (or a silent no-op) when the destination cannot be written: the
    /// call must throw a `PlotError` that names the path. A regular file stands in the way of
    /// the folder, which fails even for root.
    @Test func unwritablePathThrowsPlotError() throws {
        let folder = temporaryFolder()
        let blocker = folder.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: blocker)
        let target = blocker.appendingPathComponent("figure.png")
        do {
            try Canvas(width: 4, height: 4).writePNG(to: target)
            Issue.record("writing under a regular file succeeded")
        } catch {
            guard case .fileWrite(let path, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(path == target.path)
            #expect(error.description.contains(target.path))
        }
    }

    /// Guards against libpng failures being swallowed: an empty canvas cannot be a PNG, and
    /// the error must carry the path and a message.
    @Test func emptyCanvasIsAnEncodingError() {
        #expect(throws: PlotError.self) { try Canvas(width: 0, height: 5).encodePNG(path: "/tmp/empty.png") }
        do { _ = try Canvas(width: 0, height: 5).encodePNG(path: "/tmp/empty.png") } catch {
            #expect(error.path == "/tmp/empty.png")
        }
    }
}
