#include "norm/layer_norm.hpp"

#include <cmath>

#include "common/check.hpp"
#include "common/threads.hpp"
#include "norm/feature_sums.hpp"

namespace pykeras {

void layer_norm_forward(int64_t m, int64_t n, const float* x, const float* gamma, const float* beta, float eps,
                        float* out, float* xhat, float* mean, float* var, float* inv_std) {
  check_nonnegative("layer_norm_forward", "m", m);
  check_nonnegative("layer_norm_forward", "n", n);
  const int nt = threads_for_elements(m * n);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
  for (int64_t i = 0; i < m; ++i) {
    const float* row = x + i * n;
    double sum = 0.0, squares = 0.0;
    for (int64_t j = 0; j < n; ++j) sum += static_cast<double>(row[j]);
    const float mu = n > 0 ? static_cast<float>(sum / static_cast<double>(n)) : 0.0f;
    for (int64_t j = 0; j < n; ++j) {  // about the rounded mean, as the output uses it
      const double d = static_cast<double>(row[j] - mu);
      squares += d * d;
    }
    const float v = n > 0 ? static_cast<float>(squares / static_cast<double>(n)) : 0.0f;
    const float s = 1.0f / std::sqrt(v + eps);
    mean[i] = mu;
    var[i] = v;
    inv_std[i] = s;
    float* h = xhat + i * n;
    float* o = out + i * n;
    for (int64_t j = 0; j < n; ++j) {
      h[j] = (row[j] - mu) * s;
      o[j] = h[j] * (gamma != nullptr ? gamma[j] : 1.0f) + (beta != nullptr ? beta[j] : 0.0f);
    }
  }
}

void layer_norm_backward(int64_t m, int64_t n, const float* dy, const float* xhat, const float* gamma,
                         const float* inv_std, float* dx, float* dgamma, float* dbeta) {
  check_nonnegative("layer_norm_backward", "m", m);
  check_nonnegative("layer_norm_backward", "n", n);
  const int nt = threads_for_elements(m * n);
  if (dgamma != nullptr || dbeta != nullptr) {
    over_feature_chunks("layer_norm_backward", m, n, [&](int64_t j0, int64_t w) {
      double sum_dy[kFeatureChunk], sum_dy_xhat[kFeatureChunk];
      feature_sums(m, n, j0, w, dy, xhat, sum_dy, sum_dy_xhat, dgamma, dbeta);
    });
  }
  if (dx == nullptr || n == 0) return;
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
  for (int64_t i = 0; i < m; ++i) {
    const float* g = dy + i * n;
    const float* h = xhat + i * n;
    double sum_d = 0.0, sum_d_xhat = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      const double d = static_cast<double>(g[j]) * (gamma != nullptr ? gamma[j] : 1.0f);
      sum_d += d;
      sum_d_xhat += d * static_cast<double>(h[j]);
    }
    const float mean_d = static_cast<float>(sum_d / static_cast<double>(n));
    const float mean_d_xhat = static_cast<float>(sum_d_xhat / static_cast<double>(n));
    float* d = dx + i * n;
    for (int64_t j = 0; j < n; ++j)
      d[j] = inv_std[i] * (g[j] * (gamma != nullptr ? gamma[j] : 1.0f) - mean_d - h[j] * mean_d_xhat);
  }
}

}  // namespace pykeras
