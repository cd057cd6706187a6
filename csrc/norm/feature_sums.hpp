// The per-feature work both normalizations share: columns in chunks split between threads, and the
// sums their gradients need.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/check.hpp"
#include "common/threads.hpp"

namespace pykeras {

// Normalizations split the features between threads in chunks of this many columns: a 128- or
// 256-wide layer still splits between two cores.
constexpr int64_t kFeatureChunk = 64;

// chunk(j0, w) for every chunk of columns [j0, j0 + w) of an m x n row-major array, each chunk on one
// thread; within a chunk every pass reads a row segment at a time (contiguous, vectorisable).
template <typename ChunkFn>
void over_feature_chunks(const char* fn, int64_t m, int64_t n, const ChunkFn& chunk) {
  check_nonnegative(fn, "m", m);
  check_nonnegative(fn, "n", n);
  if (n == 0) return;
  const int64_t chunks = (n + kFeatureChunk - 1) / kFeatureChunk;
  const int nt = static_cast<int>(std::min<int64_t>(threads_for_elements(m * n), chunks));
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t j0 = c * kFeatureChunk;
    chunk(j0, std::min(kFeatureChunk, n - j0));
  }
}

// Internal linkage: the per-ISA batch normalization units compile their own copies (an inline
// function shared between units built with different flags could run a wider ISA's copy anywhere).
namespace {

// For columns [j0, j0 + w) of m x n row-major dy and xhat (w <= kFeatureChunk): sum_dy[j] and
// sum_dy_xhat[j] over the rows, in double, rows in order (so the bits do not depend on threads); also
// written, as float, to dbeta and dgamma (the gradients of a shift and a scale) where not null.
inline void feature_sums(int64_t m, int64_t n, int64_t j0, int64_t w, const float* dy, const float* xhat,
                         double* sum_dy, double* sum_dy_xhat, float* dgamma, float* dbeta) {
  for (int64_t j = 0; j < w; ++j) sum_dy[j] = sum_dy_xhat[j] = 0.0;
  for (int64_t i = 0; i < m; ++i) {
    const float* g = dy + i * n + j0;
    const float* h = xhat + i * n + j0;
    for (int64_t j = 0; j < w; ++j) {
      sum_dy[j] += static_cast<double>(g[j]);
      sum_dy_xhat[j] += static_cast<double>(g[j]) * static_cast<double>(h[j]);
    }
  }
  for (int64_t j = 0; j < w; ++j) {
    if (dbeta != nullptr) dbeta[j0 + j] = static_cast<float>(sum_dy[j]);
    if (dgamma != nullptr) dgamma[j0 + j] = static_cast<float>(sum_dy_xhat[j]);
  }
}

}  // namespace

}  // namespace pykeras
