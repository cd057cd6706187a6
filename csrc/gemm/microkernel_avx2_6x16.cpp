// AVX2 + FMA micro-kernel, 6x16: 12 ymm accumulators (6 rows x 2 vectors of 8), 2 ymm for the B
// row and 1 for the A broadcast, of 16 ymm registers. Compiled with -mavx2 -mfma only; called only
// after the dispatcher checked the CPU.
#include <immintrin.h>

#include "gemm/blocking.hpp"
#include "gemm/microkernel.hpp"

namespace pykeras::gemm {

namespace {

constexpr int MR = kBlockingAvx2.mr;
constexpr int NR = kBlockingAvx2.nr;
static_assert(MR == 6 && NR == 16, "blocking table and kernel disagree");

// The k loop, kept out of line: with alpha, beta and the epilogue pointers live across an inlined loop,
// GCC spills an accumulator (16 ymm registers are exactly enough for 12 accumulators, 2 B vectors and
// a broadcast), which puts a store-to-load round trip in the FMA chain and halves the speed.
__attribute__((noinline)) void accumulate(int64_t kc, const float* a, const float* b, int64_t bstride,
                                          __m256* acc0, __m256* acc1) {
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) c0[i] = c1[i] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
    }
    a += MR;
    b += bstride;
  }
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    acc0[i] = c0[i];
    acc1[i] = c1[i];
  }
}

}  // namespace

void microkernel_avx2_6x16(int64_t kc, const float* a, const float* b, int64_t bstride, float* c,
                           int64_t ldc, float alpha, float beta, const Epilogue& ep) {
  __m256 acc0[MR], acc1[MR];
  accumulate(kc, a, b, bstride, acc0, acc1);

  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 bias0 = ep.bias ? _mm256_loadu_ps(ep.bias) : zero;
  const __m256 bias1 = ep.bias ? _mm256_loadu_ps(ep.bias + 8) : zero;
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    __m256 r0 = _mm256_mul_ps(va, acc0[i]);
    __m256 r1 = _mm256_mul_ps(va, acc1[i]);
    if (beta != 0.0f) {
      r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), r0);
      r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), r1);
    }
    if (ep.bias) {
      r0 = _mm256_add_ps(r0, bias0);
      r1 = _mm256_add_ps(r1, bias1);
    }
    if (ep.relu) {
      // max(0, x) returns its second operand when either is NaN: NaN stays NaN.
      r0 = _mm256_max_ps(zero, r0);
      r1 = _mm256_max_ps(zero, r1);
    }
    _mm256_storeu_ps(ci, r0);
    _mm256_storeu_ps(ci + 8, r1);
  }
}

}  // namespace pykeras::gemm
