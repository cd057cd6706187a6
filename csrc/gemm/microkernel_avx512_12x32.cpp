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

// The first M rows of the 12x32 tile (M <= 12): the full kernel is M == 12; smaller M serve the last,
// partial row panel of C (e.g. rows 24..31 of a batch of 32) without computing padding rows. The A
// panel keeps its packed stride of MR floats per k step.
template <int M>
void kernel_rows(int64_t kc, const float* a, const float* b, int64_t bstride, float* c, int64_t ldc,
                 float alpha, float beta, const Epilogue& ep) {
  // set1(0) rather than setzero: GCC 12 warns (falsely) that setzero's helper is uninitialised.
  const __m512 zero = _mm512_set1_ps(0.0f);
  __m512 acc0[M], acc1[M];
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i) acc0[i] = acc1[i] = zero;

  // The C tile is touched only after the k loop; start fetching it now.
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
  }

  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < M; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
    a += MR;
    b += bstride;
  }

  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
  const __mmask16 kAll = 0xFFFF;
  const __m512 bias0 = ep.bias ? _mm512_loadu_ps(ep.bias) : zero;
  const __m512 bias1 = ep.bias ? _mm512_loadu_ps(ep.bias + 16) : zero;
#pragma GCC unroll 12
  for (int i = 0; i < M; ++i) {
    float* ci = c + i * ldc;
    __m512 r0 = _mm512_mul_ps(va, acc0[i]);
    __m512 r1 = _mm512_mul_ps(va, acc1[i]);
    if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci + 16), r1);
    }
    if (ep.bias) {
      r0 = _mm512_add_ps(r0, bias0);
      r1 = _mm512_add_ps(r1, bias1);
    }
    if (ep.relu) {
      // max(0, x) returns its second operand when either is NaN: NaN stays NaN. (The all-ones
      // maskz form is the plain max; GCC 12 falsely warns on _mm512_max_ps's undefined source.)
      r0 = _mm512_maskz_max_ps(kAll, zero, r0);
      r1 = _mm512_maskz_max_ps(kAll, zero, r1);
    }
    _mm512_storeu_ps(ci, r0);
    _mm512_storeu_ps(ci + 16, r1);
  }
}

}  // namespace

void microkernel_avx512_12x32(int64_t kc, const float* a, const float* b, int64_t bstride, float* c,
                              int64_t ldc, float alpha, float beta, const Epilogue& ep) {
  kernel_rows<MR>(kc, a, b, bstride, c, ldc, alpha, beta, ep);
}

MicroKernelFn microkernel_avx512_rows(int mr) {
  static constexpr MicroKernelFn kRows[MR + 1] = {
      nullptr,         kernel_rows<1>, kernel_rows<2>, kernel_rows<3>,  kernel_rows<4>,
      kernel_rows<5>,  kernel_rows<6>, kernel_rows<7>, kernel_rows<8>,  kernel_rows<9>,
      kernel_rows<10>, kernel_rows<11>, kernel_rows<12>};
  return mr >= 1 && mr <= MR ? kRows[mr] : nullptr;
}

}  // namespace pykeras::gemm
