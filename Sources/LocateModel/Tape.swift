/// What the backward pass needs from a forward pass: every value an operation consumed, after
/// the interventions at its hook (the values later layers really saw). Kept only when gradients
/// are asked for. N = B·Tq rows of computed positions.
final class LayerTape {
    var residPre: [Float] = []   // [N, D]   input of ln1 and of the residual
    var invRMS1: [Float] = []    // [N]
    var h1: [Float] = []         // [N, D]   ln1 output fed to Q/K/V
    var q: [Float] = []          // [N, H·Dh] after RoPE and hooks
    var kAll: [Float] = []       // [B, T, Hkv·Dh]
    var vAll: [Float] = []       // [B, T, Hkv·Dh]
    var pattern: [Float] = []    // [B, H, Tq, T]
    var z: [Float] = []          // [N, H·Dh]
    var residMid: [Float] = []   // [N, D]
    var invRMS2: [Float] = []    // [N]
    var h2: [Float] = []         // [N, D]
    var gate: [Float] = []       // [N, F]
    var up: [Float] = []         // [N, F]
    var post: [Float] = []       // [N, F]
}

final class Tape {
    var layers: [LayerTape] = []     // layers l0..<L in order
    var finalInput: [Float] = []     // [N, D] input of the final norm
    var invRMSFinal: [Float] = []    // [N]
    var finalNormalized: [Float] = [] // [N, D] after its hook
}
