// Portable reference micro-kernel: plain C++ that the compiler vectorises for whatever baseline ISA it
// targets (SSE2 on x86-64, NEON on AArch64). It is the fallback on every CPU and the oracle the ISA
// kernels are tested against. 4x8 keeps the 32 accumulators in 8 SSE registers.
#include "gemm/blocking.hpp"
#include "gemm/microkernel.hpp"
#include "gemm/tile.hpp"

namespace pykeras::gemm {

void microkernel_ref_4x8(int64_t kc, const float* a, const float* b, int64_t bstride, float* c,
                         int64_t ldc, float alpha, float beta, const Epilogue& ep) {
  constexpr int MR = kBlockingPortable.mr;
  constexpr int NR = kBlockingPortable.nr;
  static_assert(MR == 4 && NR == 8, "blocking table and kernel disagree");
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const float* ap = a + p * MR;
    const float* bp = b + p * bstride;
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += ap[i] * bp[j];
  }
  store_tile(&acc[0][0], NR, MR, NR, alpha, beta, c, ldc, ep);
}

}  // namespace pykeras::gemm
