// Single-precision GEMM, row-major, BLAS semantics, with an optional fused epilogue:
//
//   C = act(alpha * op(A) * op(B) + beta * C + bias)
//
// op(A) is m x k: A stored m x k (lda >= k) or, when trans_a, k x m (lda >= m); likewise op(B) is
// k x n: B stored k x n (ldb >= n) or, when trans_b, n x k (ldb >= k). C is m x n (ldc >= n).
// beta == 0: C is not read. k == 0 or alpha == 0: A and B are not read (C = beta * C, then the
// epilogue). Results are bitwise identical for any thread count.
#pragma once

#include <cstdint>

#include "gemm/microkernel.hpp"

namespace pykeras::gemm {

class HeldPacks;

// Preconditions (checked, std::invalid_argument): m, n, k >= 0; leading dimensions as above;
// non-null pointers for the operands that are read or written. With `held` (see held_packs.hpp), a B
// that would be packed is packed once and kept there for the later calls lending it: the same bits.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           const Epilogue& ep = Epilogue{}, HeldPacks* held = nullptr);

// sgemm with ReLU-masked operands (see pack.hpp): where mask_a (laid out like a, leading dimension
// lda) is not > 0 the element of a counts as 0; likewise mask_b for b. Either mask may be null.
// The masks are applied while packing, so a masked operand is always packed.
void sgemm_masked(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, const float* mask_a, const float* b, int64_t ldb, const float* mask_b, float beta,
                  float* c, int64_t ldc, const Epilogue& ep = Epilogue{}, HeldPacks* held = nullptr);

// C (m x n) = act((A0 B0 + A1 B1) + bias), A (m x k) and B (k x n) not transposed, split at
// h = k / 2 into A0 = A[:, :h], B0 = B[:h, :] and A1, B1 the rest. With two threads each product is
// one thread's alone (it reads only its rows of B), then each sums half of the rows; with one, or
// more than two, the products are computed in turn. The bits depend on the shape only, not on the
// thread count. Requires k >= 2.
//
// Why: a weight matrix B that both cores read is costly to update afterwards (each write must
// invalidate the other core's copy). Split this way, each core reads the rows of B it will update
// itself: the rows the weight gradient's GEMM gives it (sgemm's row bands over B's k rows) and the
// half of the variable the optimizer gives it.
void sgemm_split_k(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                   float* c, int64_t ldc, const Epilogue& ep = Epilogue{});

}  // namespace pykeras::gemm
