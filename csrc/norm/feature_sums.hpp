// The per-feature sums both normalizations' gradients need, for one chunk of columns.
#pragma once

#include <cstdint>

namespace pykeras {

// Normalizations split the features between threads in chunks of this many columns: a 128- or
// 256-wide layer still splits between two cores.
constexpr int64_t kFeatureChunk = 64;

// For columns [j0, j0 + w) of m x n row-major dy and xhat (w <= kFeatureChunk): sum_dy[j] and
// sum_dy_xhat[j] over the rows, in double, rows in order (so the bits do not depend on threads).
inline void feature_sums(int64_t m, int64_t n, int64_t j0, int64_t w, const float* dy, const float* xhat,
                         double* sum_dy, double* sum_dy_xhat) {
  for (int64_t j = 0; j < w; ++j) sum_dy[j] = sum_dy_xhat[j] = 0.0;
  for (int64_t i = 0; i < m; ++i) {
    const float* g = dy + i * n + j0;
    const float* h = xhat + i * n + j0;
    for (int64_t j = 0; j < w; ++j) {
      sum_dy[j] += static_cast<double>(g[j]);
      sum_dy_xhat[j] += static_cast<double>(g[j]) * static_cast<double>(h[j]);
    }
  }
}

}  // namespace pykeras
