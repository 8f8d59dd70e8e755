#ifndef LOCATE_BLOCK_LINEAR_H
#define LOCATE_BLOCK_LINEAR_H

#include <stddef.h>

/// GGUF block formats the products read directly (GGUF.md §3).
typedef enum {
    LOCATE_BLOCK_Q4_1 = 3,  ///< 20 bytes: f16 d | f16 m | qs[16]; w = d·n + m
    LOCATE_BLOCK_Q8_0 = 8,  ///< 34 bytes: f16 d | qs[32] (int8); w = d·n
} locate_block_format;

/// y[i·ldy + j] (+)= Σ_p x[i·ldx + p] · W[j][p] for rows i < m and columns j0 ≤ j < j1, where
/// W[N, K] is stored as GGUF blocks, row after row (K a multiple of 32), and each weight is
/// expanded exactly as ggml dequantizes it (multiply, then add; no fused rounding).
///
/// Every y[i][j] is summed in the same order whatever m, the rows around it and the column range:
/// eight lanes over p, lane l taking p ≡ l (mod 8) in order, then the lanes added pairwise. A row's
/// result therefore does not depend on the batch it is computed in.
///
/// `portable` = 1 takes the plain C path (the same order of sums) even where AVX2 is available.
/// `panel` is the caller's workspace of LOCATE_BLOCK_PANEL · K floats (the kernel allocates nothing).
void locate_block_linear(locate_block_format format, const float *x, ptrdiff_t ldx,
                         const void *blocks, float *y, ptrdiff_t ldy,
                         ptrdiff_t m, ptrdiff_t j0, ptrdiff_t j1, ptrdiff_t k,
                         int accumulate, int portable, float *panel);

/// Output columns expanded at a time: the workspace holds this many rows of W.
enum { LOCATE_BLOCK_PANEL = 8 };

/// 1 when the AVX2/FMA/F16C path runs on this CPU.
int locate_block_linear_vectorized(void);

#endif
