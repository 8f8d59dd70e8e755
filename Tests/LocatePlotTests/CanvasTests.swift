import LocatePlot
import Testing

@Suite("Canvas drawing")
struct CanvasTests {
    /// Guards against translucent bands being painted opaque or not at all: the inside of a
    /// polygon filled at 20 % must be exactly the colour blended 20 % over white, the outside
    /// untouched.
    @Test func polygonFillBlendsInsideOnly() {
        var canvas = Canvas(width: 50, height: 50)
        let blue = RGB(hex: 0x1F77B4)
        canvas.fillPolygon([Point(10, 10), Point(40, 10), Point(40, 30), Point(10, 30)], color: blue, opacity: 0.2)
        #expect(canvas.pixel(x: 25, y: 20) == blue.blended(over: .white, alpha: 0.2))
        #expect(canvas.pixel(x: 5, y: 20) == .white)
        #expect(canvas.pixel(x: 25, y: 35) == .white)
        // Pixel-aligned edges give full coverage on the border pixels too.
        #expect(canvas.pixel(x: 10, y: 10) == blue.blended(over: .white, alpha: 0.2))
        #expect(canvas.pixel(x: 9, y: 10) == .white)
    }

    /// Guards against self-overlapping joints darkening a translucent polyline: a line that
    /// doubles back over itself must have one uniform opacity.
    @Test func polylineCompositesOnce() {
        var canvas = Canvas(width: 60, height: 20)
        let red = RGB(hex: 0xD62728)
        canvas.strokePolyline([Point(5, 10), Point(50, 10), Point(20, 10)], width: 4, color: red, opacity: 0.5)
        #expect(canvas.pixel(x: 30, y: 10) == red.blended(over: .white, alpha: 0.5))
        #expect(canvas.pixel(x: 30, y: 2) == .white)
    }

    /// Guards against traps on data outside the canvas (huge or NaN coordinates from bad
    /// numbers): drawing must clip silently.
    @Test func drawingOutsideClips() {
        var canvas = Canvas(width: 10, height: 10)
        canvas.fillRect(x: -5, y: -5, width: 100, height: 7, color: .black)
        canvas.drawLine(from: Point(-1e9, 5), to: Point(1e9, 5), color: .black)
        canvas.strokePolyline([Point(.nan, 1), Point(3, .infinity)], color: .black)
        canvas.fillPolygon([Point(-100, -100), Point(1e6, 0), Point(.nan, 4)], color: .black)
        canvas.drawText("far away", x: -1000, y: 5000)
        #expect(canvas.pixel(x: 0, y: 0) == .black)
        #expect(canvas.pixel(x: 5, y: 9) == .white)
        #expect(canvas.pixel(x: 10, y: 0) == nil)
    }
}
