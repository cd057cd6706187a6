// The micro-kernel contract: the one piece of GEMM written per ISA.
//
// A micro-kernel computes one MR x NR tile of C from a packed A micro-panel and a B micro-panel:
//
//   C[i][j] = alpha * sum_{p < kc} a[p*MR + i] * b[p*bstride + j]  +  beta * C[i][j]
//   then, if ep.bias != nullptr:  C[i][j] += ep.bias[j]
//   then, if ep.relu:             C[i][j] = C[i][j] < 0 ? 0 : C[i][j]     (NaN stays NaN)
//
// for i < MR, j < NR, where C[i][j] is c[i*ldc + j].
//
// - a: the packed A micro-panel, kc columns of MR consecutive floats (the column p of the tile's
//   MR rows of op(A)), 64-byte aligned. Rows past the edge of op(A) are zero padded by the packer.
// - b: kc rows of NR floats, row p at b + p*bstride. Packed panels have bstride == NR and are 64-byte
//   aligned; the driver may also point b straight into a row-major, non-transposed B (bstride == ldb).
// - beta == 0: C is not read, so NaN or garbage in C does not leak into the result.
// - kc may be 0 (C = beta*C, then the epilogue).
// - The kernel always writes the full MR x NR tile. Edge tiles are computed into a small MR x NR
//   buffer by the driver and merged (see sgemm.cpp), so kernels need no edge code.
// - Optionally an ISA also provides partial-tile kernels (PartialKernelFn): the same contract for a
//   top-left part of the tile that covers at least mr rows and nr columns (A keeps its packed stride of
//   MR, B its stride bstride). The driver uses them for the last row panel of C and narrow outputs, so
//   padding rows and columns are not computed; a part wider than nr only ever writes into the buffer.
// - The epilogue is applied by the driver only on the last KC block, when C holds the final sum.
// - Optionally an ISA also provides direct-A kernels (DirectAKernelFn, by part like PartialKernelFn):
//   the same contract, but reading op(A) where it lies instead of from a packed panel: element (i, p)
//   of the tile at a[i*lda + p], or at a[p*lda + i] for a transposed A, so an unmasked A need not be
//   packed. Each element of C is the same FMA chain in the same order as with the packed kernel, so
//   results are the same bits.
#pragma once

#include <cstdint>

namespace pykeras::gemm {

struct Epilogue {
  const float* bias = nullptr;  // NR floats for this tile (offset to the tile's first column)
  bool relu = false;
};

using MicroKernelFn = void (*)(int64_t kc, const float* a, const float* b, int64_t bstride, float* c,
                               int64_t ldc, float alpha, float beta, const Epilogue& ep);

using DirectAKernelFn = void (*)(int64_t kc, const float* a, int64_t lda, const float* b, int64_t bstride,
                                 float* c, int64_t ldc, float alpha, float beta, const Epilogue& ep);

// Returns a kernel for the top-left part of the tile covering mr rows and nr columns
// (1 <= mr <= MR, 1 <= nr <= NR): exactly mr rows, and exactly NR columns when nr == NR.
using PartialKernelFn = MicroKernelFn (*)(int mr, int nr);
using PartialDirectAKernelFn = DirectAKernelFn (*)(int mr, int nr, bool trans_a);

// The ISA micro-kernels; each is defined in its own translation unit, compiled with its own -m flags.
void microkernel_ref_4x8(int64_t kc, const float* a, const float* b, int64_t bstride, float* c,
                         int64_t ldc, float alpha, float beta, const Epilogue& ep);
#if defined(PYKERAS_X86_KERNELS)
void microkernel_avx2_6x16(int64_t kc, const float* a, const float* b, int64_t bstride, float* c,
                           int64_t ldc, float alpha, float beta, const Epilogue& ep);
void microkernel_avx512_12x32(int64_t kc, const float* a, const float* b, int64_t bstride, float* c,
                              int64_t ldc, float alpha, float beta, const Epilogue& ep);
MicroKernelFn microkernel_avx512_part(int mr, int nr);
DirectAKernelFn microkernel_avx512_direct_a(int mr, int nr, bool trans_a);
#endif

}  // namespace pykeras::gemm
