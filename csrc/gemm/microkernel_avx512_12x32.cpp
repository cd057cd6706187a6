// AVX-512 micro-kernel, 12x32: 24 zmm accumulators (12 rows x 2 vectors of 16), 2 zmm for the B row
// and 1 for the A broadcast, of 32 zmm registers. Each k step issues 2 loads, 12 broadcasts and
// 24 FMAs: the FMA pipe, not the load ports, is the bottleneck. Compiled with
// -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma only; called only after the dispatcher checked
// the CPU.
#include <immintrin.h>

#include "gemm/blocking.hpp"
#include "gemm/microkernel.hpp"

namespace pykeras::gemm {

namespace {

constexpr int MR = kBlockingAvx512.mr;
constexpr int NR = kBlockingAvx512.nr;
static_assert(MR == 12 && NR == 32, "blocking table and kernel disagree");

// The first M rows (M <= 12) and NV 16-float vectors (NV = 1 or 2) of the 12x32 tile. The full kernel
// is <12, 2>; the others serve the last, partial row panel of C (e.g. rows 24..31 of a batch of 32)
// and narrow outputs (n <= 16, e.g. a 10-class layer) without computing padding. A is read from the
// packed panel (row i at a[i], MR floats per k step) or where it lies: row-major (row i at a[i*lda],
// one float per k step) or transposed (row i at a[i], lda floats per k step).
enum class A { packed, rows, columns };

template <int M, int NV, A kA>
void kernel_part(int64_t kc, const float* a, int64_t lda, const float* b, int64_t bstride, float* c, int64_t ldc,
                 float alpha, float beta, const Epilogue& ep) {
  static_assert(M >= 1 && M <= MR && (NV == 1 || NV == 2), "tile part out of range");
  // set1(0) rather than setzero: GCC 12 warns (falsely) that setzero's helper is uninitialised.
  const __m512 zero = _mm512_set1_ps(0.0f);
  __m512 acc[M][NV];
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = zero;

  // The C tile is touched only after the k loop; start fetching it now.
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i)
    for (int v = 0; v < NV; ++v) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16 * v), _MM_HINT_T0);

  for (int64_t p = 0; p < kc; ++p) {
    __m512 bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 12
    for (int i = 0; i < M; ++i) {
      const __m512 ai = _mm512_set1_ps(kA == A::rows ? a[i * lda] : a[i]);
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    a += kA == A::packed ? MR : kA == A::rows ? 1 : lda;
    b += bstride;
  }

  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
  const __mmask16 kAll = 0xFFFF;
  __m512 bias[NV];
  for (int v = 0; v < NV; ++v) bias[v] = ep.bias ? _mm512_loadu_ps(ep.bias + 16 * v) : zero;
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i) {
    float* ci = c + i * ldc;
    for (int v = 0; v < NV; ++v) {
      __m512 r = _mm512_mul_ps(va, acc[i][v]);
      if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci + 16 * v), r);
      if (ep.bias) r = _mm512_add_ps(r, bias[v]);
      // max(0, x) returns its second operand when either is NaN: NaN stays NaN. (The all-ones
      // maskz form is the plain max; GCC 12 falsely warns on _mm512_max_ps's undefined source.)
      if (ep.relu) r = _mm512_maskz_max_ps(kAll, zero, r);
      _mm512_storeu_ps(ci + 16 * v, r);
    }
  }
}

template <int M, int NV>
void packed_part(int64_t kc, const float* a, const float* b, int64_t bstride, float* c, int64_t ldc, float alpha,
                 float beta, const Epilogue& ep) {
  kernel_part<M, NV, A::packed>(kc, a, 0, b, bstride, c, ldc, alpha, beta, ep);
}

template <int NV>
constexpr MicroKernelFn kParts[MR + 1] = {
    nullptr,
    packed_part<1, NV>, packed_part<2, NV>, packed_part<3, NV>,  packed_part<4, NV>,
    packed_part<5, NV>, packed_part<6, NV>, packed_part<7, NV>,  packed_part<8, NV>,
    packed_part<9, NV>, packed_part<10, NV>, packed_part<11, NV>, packed_part<12, NV>};

template <int NV, A kA>
constexpr DirectAKernelFn kDirectParts[MR + 1] = {
    nullptr,
    kernel_part<1, NV, kA>, kernel_part<2, NV, kA>, kernel_part<3, NV, kA>,  kernel_part<4, NV, kA>,
    kernel_part<5, NV, kA>, kernel_part<6, NV, kA>, kernel_part<7, NV, kA>,  kernel_part<8, NV, kA>,
    kernel_part<9, NV, kA>, kernel_part<10, NV, kA>, kernel_part<11, NV, kA>, kernel_part<12, NV, kA>};

}  // namespace

void microkernel_avx512_12x32(int64_t kc, const float* a, const float* b, int64_t bstride, float* c,
                              int64_t ldc, float alpha, float beta, const Epilogue& ep) {
  kernel_part<MR, 2, A::packed>(kc, a, 0, b, bstride, c, ldc, alpha, beta, ep);
}

MicroKernelFn microkernel_avx512_part(int mr, int nr) {
  if (mr < 1 || mr > MR || nr < 1 || nr > NR) return nullptr;
  return nr <= 16 ? kParts<1>[mr] : kParts<2>[mr];
}

DirectAKernelFn microkernel_avx512_direct_a(int mr, int nr, bool trans_a) {
  if (mr < 1 || mr > MR || nr < 1 || nr > NR) return nullptr;
  if (trans_a) return nr <= 16 ? kDirectParts<1, A::columns>[mr] : kDirectParts<2, A::columns>[mr];
  return nr <= 16 ? kDirectParts<1, A::rows>[mr] : kDirectParts<2, A::rows>[mr];
}

}  // namespace pykeras::gemm
