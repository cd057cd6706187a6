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

}  // namespace pykeras::gemm
