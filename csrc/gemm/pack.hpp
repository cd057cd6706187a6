// Packing: copy a block of op(A) or op(B) into the micro-panel layout the micro-kernels read
// (see microkernel.hpp). Transposes are absorbed here, so the kernels see one layout only.
// Panels past the matrix edge are zero padded, so edge tiles need no special kernel.
//
// Optionally an operand is read through a ReLU mask: `mask` has the operand's stored layout (same
// leading dimension) and an element counts as 0 wherever its mask element is not > 0 (NaN included).
// The dense backward uses it to apply the ReLU derivative while packing dY, instead of writing a
// masked copy first.
#pragma once

#include <cstdint>

namespace pykeras::gemm {

// One A micro-panel: rows [i0, i0 + mr) and columns [p0, p0 + kc) of op(A), mr <= MR, written as
// kc groups of MR floats (rows mr..MR-1 zero); MR <= 16. op(A)(i, p) = trans ? a[p*lda + i] : a[i*lda + p].
void pack_a_panel(bool trans, const float* a, int64_t lda, int64_t i0, int mr, int64_t p0, int64_t kc,
                  int MR, float* dst, const float* mask = nullptr);

// One B micro-panel: rows [p0, p0 + kc) and columns [j0, j0 + nr) of op(B), nr <= NR, written as
// kc rows of NR floats (columns nr..NR-1 zero). op(B)(p, j) = trans ? b[j*ldb + p] : b[p*ldb + j].
void pack_b_panel(bool trans, const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int nr,
                  int NR, float* dst, const float* mask = nullptr);

// With AVX-512 (pack_avx512.cpp), for its MR = 12 and NR = 32, the same panels:
// - pack_a_avx512: pack_a_panel, masked or not;
// - pack_b_avx512: pack_b_panel(trans = false), masked or not;
// - pack_b_trans_avx512: pack_b_panel(trans = true, no mask).
void pack_a_avx512(bool trans, const float* a, int64_t lda, int64_t i0, int mr, int64_t p0, int64_t kc,
                   float* dst, const float* mask);
void pack_b_avx512(const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int nr, float* dst,
                   const float* mask);
void pack_b_trans_avx512(const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int nr, float* dst);
using PackAFn = void (*)(bool trans, const float* a, int64_t lda, int64_t i0, int mr, int64_t p0, int64_t kc,
                         float* dst, const float* mask);
using PackBFn = void (*)(const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int nr, float* dst,
                         const float* mask);
using PackBTransFn = void (*)(const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int nr, float* dst);

}  // namespace pykeras::gemm
