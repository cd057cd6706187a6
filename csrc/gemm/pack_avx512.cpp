// AVX-512 packing: the panels pack_a_panel and pack_b_panel write (ReLU masks included), with
// full-width loads and stores instead of one scalar load and store per element. Where the panel
// layout transposes the source (A as stored, B transposed), 16 x 16 blocks are transposed in
// registers, so each source line is loaded once. It only moves values. Compiled with the AVX-512
// flags; reached only through the AVX-512 KernelSpec.
#include <immintrin.h>

// GCC 12 warns, falsely, that the shuffle intrinsics' internal pass-through operand may be
// uninitialised (it is unused under a full mask); -Werror would make that fatal.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "gemm/blocking.hpp"
#include "gemm/pack.hpp"

namespace pykeras::gemm {

namespace {

constexpr int MR = kBlockingAvx512.mr;
constexpr int NR = kBlockingAvx512.nr;
static_assert(NR == 32, "two 16-row blocks per panel");
static_assert(MR <= 16, "an A panel's rows fit one 16 x 16 block");

// Lanes [0, n) of a 16-float vector (none for n <= 0, all for n >= 16).
inline __mmask16 first(int n) { return static_cast<__mmask16>(n <= 0 ? 0 : n >= 16 ? 0xFFFF : (1u << n) - 1); }

// The lanes `lanes` of src (zero elsewhere), read through a ReLU mask when one is given: where the
// mask is not > 0 (NaN included) the value is +0, as relu_mask gives.
inline __m512 load(__mmask16 lanes, const float* src, const float* mask, int64_t offset) {
  if (mask == nullptr) return _mm512_maskz_loadu_ps(lanes, src + offset);
  const __mmask16 on = _mm512_mask_cmp_ps_mask(lanes, _mm512_maskz_loadu_ps(lanes, mask + offset),
                                               _mm512_setzero_ps(), _CMP_GT_OQ);
  return _mm512_maskz_loadu_ps(on, src + offset);
}

// r[i] = row i of a 16 x 16 block in, column i out.
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {  // per 128-bit lane: pairs of rows interleaved
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {  // r[4i + c], lane L: rows 4i..4i+3 of column 4L + c
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int c = 0; c < 4; ++c) {  // lanes regrouped: rows 0-7 (t[c], t[4+c]) and 8-15 (t[8+c], t[12+c])
    t[c] = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
    t[4 + c] = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);
    t[8 + c] = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
    t[12 + c] = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
  }
  for (int c = 0; c < 4; ++c) {  // whole columns c, 4 + c, 8 + c, 12 + c
    r[c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0xDD);
    r[4 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0xDD);
  }
}

}  // namespace

void pack_a_avx512(bool trans, const float* a, int64_t lda, int64_t i0, int mr, int64_t p0, int64_t kc,
                   float* dst, const float* mask) {
  const __mmask16 rows = first(mr), panel = first(MR);
  if (trans) {  // op(A) column p is contiguous: a row of the stored k x m matrix
    for (int64_t p = 0; p < kc; ++p)
      _mm512_mask_storeu_ps(dst + p * MR, panel, load(rows, a, mask, (p0 + p) * lda + i0));
    return;
  }
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t pb = 0; pb < kc; pb += 16) {
    const int np = static_cast<int>(kc - pb < 16 ? kc - pb : 16);
    __m512 r[16];
    for (int i = 0; i < 16; ++i) r[i] = i < mr ? load(first(np), a, mask, (i0 + i) * lda + p0 + pb) : zero;
    transpose16(r);
    for (int q = 0; q < np; ++q) _mm512_mask_storeu_ps(dst + (pb + q) * MR, panel, r[q]);
  }
}

void pack_b_avx512(const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int nr, float* dst,
                   const float* mask) {
  const __mmask16 lo = first(nr), hi = first(nr - 16);
  for (int64_t p = 0; p < kc; ++p) {
    const int64_t row = (p0 + p) * ldb + j0;
    _mm512_storeu_ps(dst + p * NR, load(lo, b, mask, row));
    _mm512_storeu_ps(dst + p * NR + 16, load(hi, b, mask, row + 16));
  }
}

void pack_b_trans_avx512(const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int nr, float* dst) {
  const __m512 zero = _mm512_set1_ps(0.0f);
  for (int64_t pb = 0; pb < kc; pb += 16) {
    const int np = static_cast<int>(kc - pb < 16 ? kc - pb : 16);
    const __mmask16 cols = static_cast<__mmask16>(np == 16 ? 0xFFFF : (1u << np) - 1);
    for (int jb = 0; jb < NR; jb += 16) {
      __m512 r[16];
      for (int i = 0; i < 16; ++i)  // source rows past nr are the panel's zero padding
        r[i] = jb + i < nr ? _mm512_maskz_loadu_ps(cols, b + (j0 + jb + i) * ldb + p0 + pb) : zero;
      transpose16(r);
      for (int q = 0; q < np; ++q) _mm512_storeu_ps(dst + (pb + q) * NR + jb, r[q]);
    }
  }
}

}  // namespace pykeras::gemm
