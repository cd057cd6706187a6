// AVX-512 packing of a transposed B micro-panel (op(B) = B^T, e.g. dX = dY W^T in a dense backward):
// 16 x 16 blocks transposed in registers, so each source line is loaded once and each panel row is
// written with full-width stores, instead of one scalar load and store per element. It only moves
// values: the panel is the one pack_b_panel writes. Compiled with the AVX-512 flags; reached only
// through the AVX-512 KernelSpec.
#include <immintrin.h>

// GCC 12 warns, falsely, that the shuffle intrinsics' internal pass-through operand may be
// uninitialised (it is unused under a full mask); -Werror would make that fatal.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "gemm/blocking.hpp"
#include "gemm/pack.hpp"

namespace pykeras::gemm {

namespace {

constexpr int NR = kBlockingAvx512.nr;
static_assert(NR == 32, "two 16-row blocks per panel");

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
