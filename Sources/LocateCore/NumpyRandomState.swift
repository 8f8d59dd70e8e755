@preconcurrency import CGSL
import Foundation

/// numpy's legacy `RandomState(seed).randn()`, reproduced exactly: MT19937 seeded as
/// `init_genrand(seed)` (GSL's `gsl_rng_mt19937` seeds the same way and gives the same 32-bit
/// stream), 53-bit doubles from two draws, and the Marsaglia polar method that returns the
/// second value of each pair first. ROME's causal tracing draws its noise this way
/// (`numpy.random.RandomState(1)`), so `locate trace` reproduces ROME's noise bit for bit.
public final class NumpyRandomState {
    private let rng: UnsafeMutablePointer<gsl_rng>
    private var saved: Double? = nil

    public init(seed: UInt32) {
        gsl_set_error_handler_off()
        rng = gsl_rng_alloc(gsl_rng_mt19937)
        gsl_rng_set(rng, UInt(seed))
    }

    deinit { gsl_rng_free(rng) }

    /// numpy's `random_sample()`: (a >> 5, b >> 6) from two 32-bit draws → [0, 1).
    public func randomDouble() -> Double {
        let a = UInt64(gsl_rng_get(rng)) >> 5, b = UInt64(gsl_rng_get(rng)) >> 6
        return (Double(a) * 67_108_864.0 + Double(b)) / 9_007_199_254_740_992.0
    }

    /// numpy's legacy `gauss` (one standard normal draw).
    public func gaussian() -> Double {
        if let g = saved { saved = nil; return g }
        var x1 = 0.0, x2 = 0.0, r2 = 0.0
        repeat {
            x1 = 2 * randomDouble() - 1
            x2 = 2 * randomDouble() - 1
            r2 = x1 * x1 + x2 * x2
        } while r2 >= 1 || r2 == 0
        let f = (-2 * Foundation.log(r2) / r2).squareRoot()
        saved = f * x1
        return f * x2
    }

    /// `randn(count)` in order.
    public func randn(_ count: Int) -> [Double] { (0..<count).map { _ in gaussian() } }
}
