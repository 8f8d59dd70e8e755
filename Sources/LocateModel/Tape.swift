/// What the backward pass of a run needs from its forward pass: one block tape per block from
/// the resume layer on (nil below the lowest block the backward reaches), and the final norm's
/// input. Kept only when gradients are asked for. N = B·Tq rows of computed positions.
final class Tape {
    let keepsWeightInputs: Bool
    var blocks: [BlockTape?] = []    // blocks l0 ..< L in order
    var finalInput: Buffer? = nil    // [N, D] input of the final norm
    var finalStats: Buffer? = nil    // [N]

    init(keepsWeightInputs: Bool) { self.keepsWeightInputs = keepsWeightInputs }
}
