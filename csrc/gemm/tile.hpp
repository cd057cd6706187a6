// Scalar tile store with the micro-kernel epilogue; used by the reference kernel and by the driver to
// merge edge tiles. Same arithmetic, in the same order, as the contract in microkernel.hpp.
#pragma once

#include <cstdint>

#include "gemm/microkernel.hpp"

namespace pykeras::gemm {

// c[i*ldc + j] = alpha * acc[i*ldacc + j] + beta * c[i*ldc + j]  (c not read when beta == 0),
// then + bias[j], then relu; for i < mr, j < nr.
inline void store_tile(const float* acc, int64_t ldacc, int mr, int nr, float alpha, float beta,
                       float* c, int64_t ldc, const Epilogue& ep) {
  for (int i = 0; i < mr; ++i) {
    const float* src = acc + i * ldacc;
    float* dst = c + i * ldc;
    for (int j = 0; j < nr; ++j) {
      float v = alpha * src[j];
      if (beta != 0.0f) v += beta * dst[j];
      if (ep.bias != nullptr) v += ep.bias[j];
      if (ep.relu) v = v < 0.0f ? 0.0f : v;
      dst[j] = v;
    }
  }
}

// The buffer an edge tile (mr < MR rows or nr < NR columns of C left) is computed in: C's valid
// part, zeros around it, so that a full micro-kernel run on the buffer applies beta with its own
// arithmetic, the bits of an in-place tile. Nothing is read or written when beta == 0 (C unread).
inline void load_tile(const float* c, int64_t ldc, int mr, int nr, float beta, float* tile, int MR, int NR) {
  if (beta == 0.0f) return;
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) tile[i * NR + j] = i < mr && j < nr ? c[i * ldc + j] : 0.0f;
}

}  // namespace pykeras::gemm
