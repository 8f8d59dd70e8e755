// Products with weights kept as GGUF blocks: y[M, N] (+)= x[M, K] · W[N, K]ᵀ, where W is read
// block by block and expanded into a small float panel (8 output columns × K) that every row of
// the batch then reuses. Reading 4.5 or 8.5 bits per weight instead of 32 is what makes short
// prompts and generation fast; the expanded weights are bit-identical to the dequantizer's.
//
// Legend: M rows of x (positions of a batch), N output columns (W's rows), K the shared width.

#include "block_linear.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LOCATE_X86 1
#endif

#pragma STDC FP_CONTRACT OFF

enum { PANEL = LOCATE_BLOCK_PANEL, ROW_BLOCK = 64 };

static size_t block_bytes(locate_block_format format) { return format == LOCATE_BLOCK_Q4_1 ? 20 : 34; }

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF, bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            int e = -1;
            do { e++; mantissa <<= 1; } while ((mantissa & 0x400) == 0);
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mantissa & 0x3FF) << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

// MARK: - Portable path (the reference order of sums, in plain C)

/// Expands one row of W (K weights) into `out`, exactly as the dequantizer does.
static void expand_row_portable(locate_block_format format, const uint8_t *row, ptrdiff_t k, float *out) {
    for (ptrdiff_t b = 0; b < k / 32; b++) {
        float *o = out + b * 32;
        if (format == LOCATE_BLOCK_Q4_1) {
            const uint8_t *block = row + b * 20;
            float d = half_to_float(load_u16(block)), m = half_to_float(load_u16(block + 2));
            for (int j = 0; j < 16; j++) {
                float lo = (float)(block[4 + j] & 0x0F), hi = (float)(block[4 + j] >> 4);
                float a = lo * d, c = hi * d;
                o[j] = a + m;
                o[j + 16] = c + m;
            }
        } else {
            const uint8_t *block = row + b * 34;
            float d = half_to_float(load_u16(block));
            for (int j = 0; j < 32; j++) o[j] = (float)(int8_t)block[2 + j] * d;
        }
    }
}

/// Σ_p x[p]·w[p] in the documented order: eight lanes, fused multiply-adds, lanes added pairwise.
static float dot_portable(const float *x, const float *w, ptrdiff_t k) {
    float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (ptrdiff_t p = 0; p < k; p += 8)
        for (int l = 0; l < 8; l++) lane[l] = __builtin_fmaf(w[p + l], x[p + l], lane[l]);
    float s4[4], s2[2];
    for (int l = 0; l < 4; l++) s4[l] = lane[l] + lane[l + 4];
    for (int l = 0; l < 2; l++) s2[l] = s4[l] + s4[l + 2];
    return s2[0] + s2[1];
}

static void linear_portable(locate_block_format format, const float *x, ptrdiff_t ldx, const uint8_t *blocks, float *y,
                            ptrdiff_t ldy, ptrdiff_t m, ptrdiff_t j0, ptrdiff_t j1, ptrdiff_t k, int accumulate, float *w) {
    size_t rowBytes = (size_t)(k / 32) * block_bytes(format);
    for (ptrdiff_t j = j0; j < j1; j++) {
        expand_row_portable(format, blocks + (size_t)j * rowBytes, k, w);
        for (ptrdiff_t i = 0; i < m; i++) {
            float s = dot_portable(x + i * ldx, w, k);
            y[i * ldy + j] = accumulate ? y[i * ldy + j] + s : s;
        }
    }
}

// MARK: - AVX2 path

#ifdef LOCATE_X86
#define VECTOR __attribute__((target("avx2,fma,f16c")))
#define INLINE_VECTOR __attribute__((target("avx2,fma,f16c"), always_inline)) static inline

INLINE_VECTOR void expand_q4_1(const uint8_t *block, float *out) {
    __m256 d = _mm256_set1_ps(_cvtsh_ss(load_u16(block))), m = _mm256_set1_ps(_cvtsh_ss(load_u16(block + 2)));
    __m128i qs = _mm_loadu_si128((const __m128i *)(block + 4)), mask = _mm_set1_epi8(0x0F);
    __m128i lo = _mm_and_si128(qs, mask), hi = _mm_and_si128(_mm_srli_epi16(qs, 4), mask);
    __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int q = 0; q < 4; q++) {
        __m256 n = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(parts[q]));
        _mm256_storeu_ps(out + 8 * q, _mm256_add_ps(_mm256_mul_ps(n, d), m));
    }
}

INLINE_VECTOR void expand_q8_0(const uint8_t *block, float *out) {
    __m256 d = _mm256_set1_ps(_cvtsh_ss(load_u16(block)));
    for (int q = 0; q < 4; q++) {
        __m128i bytes = _mm_loadl_epi64((const __m128i *)(block + 2 + 8 * q));
        __m256 n = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
        _mm256_storeu_ps(out + 8 * q, _mm256_mul_ps(n, d));
    }
}

/// Expands `columns` rows of W into panel[c·K + p].
VECTOR static void expand_panel(locate_block_format format, const uint8_t *rows, size_t rowBytes, ptrdiff_t columns,
                                ptrdiff_t k, float *panel) {
    for (ptrdiff_t c = 0; c < columns; c++) {
        const uint8_t *row = rows + (size_t)c * rowBytes;
        float *out = panel + c * k;
        if (format == LOCATE_BLOCK_Q4_1)
            for (ptrdiff_t b = 0; b < k / 32; b++) expand_q4_1(row + b * 20, out + b * 32);
        else
            for (ptrdiff_t b = 0; b < k / 32; b++) expand_q8_0(row + b * 34, out + b * 32);
    }
}

INLINE_VECTOR float sum_lanes(__m256 v) {
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));  // l + (l+4)
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));                              // l + (l+2)
    __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));                           // 0 + 1
    return _mm_cvtss_f32(s1);
}

/// R rows × C panel columns (R·C ≤ 8 accumulators), each a dot product over K in lanes.
INLINE_VECTOR void tile(const float *x, ptrdiff_t ldx, const float *panel, ptrdiff_t k, float *y, ptrdiff_t ldy,
                        int accumulate, const int R, const int C) {
    __m256 acc[4][8];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) acc[r][c] = _mm256_setzero_ps();
    for (ptrdiff_t p = 0; p < k; p += 8) {
        __m256 xv[4];
        for (int r = 0; r < R; r++) xv[r] = _mm256_loadu_ps(x + r * ldx + p);
        for (int c = 0; c < C; c++) {
            __m256 w = _mm256_loadu_ps(panel + c * k + p);
            for (int r = 0; r < R; r++) acc[r][c] = _mm256_fmadd_ps(w, xv[r], acc[r][c]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) {
            float s = sum_lanes(acc[r][c]);
            y[r * ldy + c] = accumulate ? y[r * ldy + c] + s : s;
        }
}

/// Rows i0..<i1 against a full panel of 8 columns.
VECTOR static void rows_full_panel(const float *x, ptrdiff_t ldx, const float *panel, ptrdiff_t k, float *y, ptrdiff_t ldy,
                                   ptrdiff_t rows, int accumulate) {
    ptrdiff_t i = 0;
    for (; i + 4 <= rows; i += 4)
        for (int c = 0; c < PANEL; c += 2) tile(x + i * ldx, ldx, panel + c * k, k, y + i * ldy + c, ldy, accumulate, 4, 2);
    switch (rows - i) {
    case 3:
        for (int c = 0; c < PANEL; c += 2) tile(x + i * ldx, ldx, panel + c * k, k, y + i * ldy + c, ldy, accumulate, 3, 2);
        break;
    case 2:
        for (int c = 0; c < PANEL; c += 4) tile(x + i * ldx, ldx, panel + c * k, k, y + i * ldy + c, ldy, accumulate, 2, 4);
        break;
    case 1:
        tile(x + i * ldx, ldx, panel, k, y + i * ldy, ldy, accumulate, 1, 8);
        break;
    default:
        break;
    }
}

/// Rows against a partial panel (fewer than 8 columns), one column at a time.
VECTOR static void rows_partial_panel(const float *x, ptrdiff_t ldx, const float *panel, ptrdiff_t columns, ptrdiff_t k,
                                      float *y, ptrdiff_t ldy, ptrdiff_t rows, int accumulate) {
    for (ptrdiff_t c = 0; c < columns; c++) {
        ptrdiff_t i = 0;
        for (; i + 4 <= rows; i += 4) tile(x + i * ldx, ldx, panel + c * k, k, y + i * ldy + c, ldy, accumulate, 4, 1);
        for (; i < rows; i++) tile(x + i * ldx, ldx, panel + c * k, k, y + i * ldy + c, ldy, accumulate, 1, 1);
    }
}

VECTOR static void linear_vector(locate_block_format format, const float *x, ptrdiff_t ldx, const uint8_t *blocks, float *y,
                                 ptrdiff_t ldy, ptrdiff_t m, ptrdiff_t j0, ptrdiff_t j1, ptrdiff_t k, int accumulate,
                                 float *panel) {
    size_t rowBytes = (size_t)(k / 32) * block_bytes(format);
    for (ptrdiff_t i0 = 0; i0 < m; i0 += ROW_BLOCK) {
        ptrdiff_t rows = m - i0 < ROW_BLOCK ? m - i0 : ROW_BLOCK;
        const float *xb = x + i0 * ldx;
        float *yb = y + i0 * ldy;
        for (ptrdiff_t j = j0; j < j1; j += PANEL) {
            ptrdiff_t columns = j1 - j < PANEL ? j1 - j : PANEL;
            expand_panel(format, blocks + (size_t)j * rowBytes, rowBytes, columns, k, panel);
            if (columns == PANEL)
                rows_full_panel(xb, ldx, panel, k, yb + j, ldy, rows, accumulate);
            else
                rows_partial_panel(xb, ldx, panel, columns, k, yb + j, ldy, rows, accumulate);
        }
    }
}
#endif

// MARK: - Entry points

int locate_block_linear_vectorized(void) {
#ifdef LOCATE_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
    return 0;
#endif
}

void locate_block_linear(locate_block_format format, const float *x, ptrdiff_t ldx, const void *blocks, float *y,
                         ptrdiff_t ldy, ptrdiff_t m, ptrdiff_t j0, ptrdiff_t j1, ptrdiff_t k, int accumulate, int portable,
                         float *panel) {
    if (m <= 0 || j1 <= j0 || k <= 0 || k % 32 != 0) return;
#ifdef LOCATE_X86
    if (!portable && locate_block_linear_vectorized()) {
        linear_vector(format, x, ldx, (const uint8_t *)blocks, y, ldy, m, j0, j1, k, accumulate, panel);
        return;
    }
#endif
    linear_portable(format, x, ldx, (const uint8_t *)blocks, y, ldy, m, j0, j1, k, accumulate, panel);
}
