@preconcurrency import CGSL

/// Seeded random numbers from GSL's MT19937: Gaussian draws (GSL's Box–Muller polar method) and
/// uniform draws. The same seed gives the same stream on every machine.
public final class RandomSource {
    private let rng: UnsafeMutablePointer<gsl_rng>

    public init(seed: UInt64) {
        gsl_set_error_handler_off()   // GSL's default handler calls abort()
        rng = gsl_rng_alloc(gsl_rng_mt19937)
        gsl_rng_set(rng, UInt(truncatingIfNeeded: seed))
    }

    deinit { gsl_rng_free(rng) }

    /// One draw from N(0, std²).
    public func gaussian(std: Double) -> Double { gsl_ran_gaussian(rng, std) }

    /// One draw from [0, 1).
    public func uniform() -> Double { gsl_rng_uniform(rng) }

    /// One integer drawn uniformly from 0..<n (GSL's `gsl_rng_uniform_int`, no modulo bias).
    public func uniformInt(below n: Int) -> Int {
        precondition(n > 0, "uniformInt needs a positive bound")
        return Int(gsl_rng_uniform_int(rng, UInt(n)))
    }

    /// `count` draws from N(0, std²), in order.
    public func gaussians(count: Int, std: Double) -> [Float] {
        (0..<count).map { _ in Float(gaussian(std: std)) }
    }
}
