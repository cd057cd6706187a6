#include "elementwise/elementwise.hpp"

#include <algorithm>

#include "common/check.hpp"
#include "common/relu_mask.hpp"
#include "common/threads.hpp"

namespace pykeras {

void bias_add(int64_t m, int64_t n, float* y, const float* b) {
  check_nonnegative("bias_add", "m", m);
  check_nonnegative("bias_add", "n", n);
  if (m == 0 || n == 0) return;
  const int nt = threads_for_elements(m * n);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
  for (int64_t i = 0; i < m; ++i) {
    float* yi = y + i * n;
    for (int64_t j = 0; j < n; ++j) yi[j] += b[j];
  }
}

void scale_shift_columns(int64_t m, int64_t n, const float* x, const float* scale, const float* shift, float* out) {
  check_nonnegative("scale_shift_columns", "m", m);
  check_nonnegative("scale_shift_columns", "n", n);
  if (m == 0 || n == 0) return;
  const int nt = threads_for_elements(m * n);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
  for (int64_t i = 0; i < m; ++i) {
    const float* xi = x + i * n;
    float* oi = out + i * n;
    for (int64_t j = 0; j < n; ++j) oi[j] = xi[j] * scale[j] + shift[j];
  }
}

void relu(int64_t size, const float* x, float* out) {
  check_nonnegative("relu", "size", size);
  const int nt = threads_for_elements(size);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
  for (int64_t i = 0; i < size; ++i) out[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void multiply(int64_t size, const float* x, const float* s, float* out) {
  check_nonnegative("multiply", "size", size);
  const int nt = threads_for_elements(size);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
  for (int64_t i = 0; i < size; ++i) out[i] = x[i] * s[i];
}

void relu_backward(int64_t size, const float* dy, const float* y, float* out) {
  check_nonnegative("relu_backward", "size", size);
  const int nt = threads_for_elements(size);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
  for (int64_t i = 0; i < size; ++i) out[i] = relu_mask(dy[i], y[i]);  // branch-free: vectorises
}

void bias_grad(int64_t m, int64_t n, const float* dy, float* out, const float* relu_y) {
  check_nonnegative("bias_grad", "m", m);
  check_nonnegative("bias_grad", "n", n);
  if (n == 0) return;
  // Threads own disjoint column chunks; within a chunk rows are added in order, a row segment at a
  // time (contiguous, vectorisable), into double accumulators.
  constexpr int64_t kChunk = 256;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const int nt = static_cast<int>(std::min<int64_t>(threads_for_elements(m * n), chunks));
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const int64_t j0 = ch * kChunk;
    const int64_t w = std::min(kChunk, n - j0);
    double acc[kChunk] = {};
    if (relu_y == nullptr) {
      for (int64_t i = 0; i < m; ++i) {
        const float* row = dy + i * n + j0;
        for (int64_t j = 0; j < w; ++j) acc[j] += static_cast<double>(row[j]);
      }
    } else {
      for (int64_t i = 0; i < m; ++i) {
        const float* row = dy + i * n + j0;
        const float* yrow = relu_y + i * n + j0;
        for (int64_t j = 0; j < w; ++j) acc[j] += static_cast<double>(relu_mask(row[j], yrow[j]));
      }
    }
    for (int64_t j = 0; j < w; ++j) out[j0 + j] = static_cast<float>(acc[j]);
  }
}

}  // namespace pykeras
