import Testing
import LocateCore

@Suite("Adam")
struct AdamTests {
    /// The first two steps by hand (bias-corrected moments): a wrong correction or sign would
    /// move the parameter by the wrong amount.
    @Test func firstStepsMatchHandComputation() {
        var adam = Adam(learningRate: 0.1)
        var p: [Float] = [1, -2]
        adam.update(&p, gradient: [0.5, -4])
        // step 1: m̂ = g, v̂ = g², so the move is lr·g/|g| = ±0.1
        #expect(abs(p[0] - 0.9) < 1e-6)
        #expect(abs(p[1] - (-1.9)) < 1e-6)
        adam.update(&p, gradient: [0.5, 0])
        // step 2 for p0: m = 0.095, v = 0.0004975, m̂ = 0.5, v̂ = 0.25 → move 0.1
        #expect(abs(p[0] - 0.8) < 1e-5)
    }

    /// Decoupled weight decay shrinks the parameter by lr·decay·p before the Adam move.
    @Test func weightDecayIsDecoupled() {
        var adam = Adam(learningRate: 0.1, weightDecay: 0.5)
        var p: [Float] = [2]
        adam.update(&p, gradient: [0])
        #expect(abs(p[0] - 1.9) < 1e-6)
    }

    /// Projection keeps vectors inside the ball and leaves those inside alone.
    @Test func projection() {
        var x: [Float] = [3, 4]
        projectOntoBall(&x, radius: 1)
        #expect(abs(x[0] - 0.6) < 1e-6 && abs(x[1] - 0.8) < 1e-6)
        var y: [Float] = [0.1, 0.1]
        projectOntoBall(&y, radius: 1)
        #expect(y == [0.1, 0.1])
    }

    /// Adam minimizes a quadratic.
    @Test func minimizesQuadratic() {
        var adam = Adam(learningRate: 0.05)
        var p: [Float] = [3, -2, 0.5]
        let target: [Float] = [1, 1, 1]
        for _ in 0..<500 { adam.update(&p, gradient: zip(p, target).map { 2 * ($0 - $1) }) }
        for i in 0..<3 { #expect(abs(p[i] - target[i]) < 1e-2) }
    }
}
