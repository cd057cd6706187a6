// The small-matrix GEMM contract: C = act(alpha * op(A) * B + beta * C + bias) with B row-major and
// not transposed (k x n, ldb >= n), computed without packing. op(A)(i, p) = a[i*sai + p*sap], so both
// a stored m x k (sai = lda, sap = 1) and a transposed k x m (sai = 1, sap = lda) are read in place.
// m, n >= 1, k >= 0; beta == 0 does not read C. Single-threaded: it serves work too small for threads.
#pragma once

#include <cstdint>

#include "gemm/microkernel.hpp"

namespace pykeras::gemm {

using SmallGemmFn = void (*)(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t sai,
                             int64_t sap, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
                             const Epilogue& ep);

#if defined(PYKERAS_X86_KERNELS)
void small_gemm_avx512(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t sai, int64_t sap,
                       const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const Epilogue& ep);
void small_gemm_avx2(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t sai, int64_t sap,
                     const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const Epilogue& ep);
#endif

}  // namespace pykeras::gemm
