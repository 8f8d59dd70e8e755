import Foundation

/// Chooses OpenBLAS's kernel before the library starts.
///
/// OpenBLAS 0.3.21 picks its kernel in a library constructor, before `main`, from
/// `OPENBLAS_CORETYPE` or by CPU model detection. On virtual machines that hide the CPU model
/// the detection falls back to Prescott (SSE3) even when AVX-512 is present, a 2–4× slowdown.
///
/// The policy of `locate`: an explicit `OPENBLAS_CORETYPE` is always honoured (it is how a
/// user pins the kernel, e.g. for bit-for-bit reproducibility across machines). When it is
/// unset, `locate` picks the best kernel for the CPU's features (SkylakeX with AVX-512,
/// Haswell with AVX2 and FMA) and restarts itself once with that setting.
public enum BLASKernel {
    /// The best OpenBLAS core type for this CPU's features, from /proc/cpuinfo.
    public static func bestCoreType(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> String? {
        guard let cpuinfo, let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(line.split(separator: " ").map(String.init))
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// Restarts the process with the best kernel when `OPENBLAS_CORETYPE` is unset. Returns
    /// normally when nothing needs to change or the restart is not possible.
    public static func restartWithBestKernelIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["LOCATE_BLAS_RESTARTED"] == nil, let best = bestCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", best, 1)
        setenv("LOCATE_BLAS_RESTARTED", "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returned: the restart failed; carry on with the detected kernel.
    }
}
