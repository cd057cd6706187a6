#include "norm/batch_norm.hpp"

#include <cmath>

#include "norm/feature_sums.hpp"

namespace pykeras {

void batch_norm_forward(int64_t m, int64_t n, const float* x, const float* gamma, const float* beta, float eps,
                        float* out, float* xhat, float* mean, float* var, float* inv_std) {
  over_feature_chunks("batch_norm_forward", m, n, [&](int64_t j0, int64_t w) {
    double sum[kFeatureChunk] = {}, squares[kFeatureChunk] = {};
    for (int64_t i = 0; i < m; ++i) {
      const float* row = x + i * n + j0;
      for (int64_t j = 0; j < w; ++j) sum[j] += static_cast<double>(row[j]);
    }
    float mu[kFeatureChunk], scale[kFeatureChunk], shift[kFeatureChunk];
    for (int64_t j = 0; j < w; ++j) mu[j] = m > 0 ? static_cast<float>(sum[j] / static_cast<double>(m)) : 0.0f;
    for (int64_t i = 0; i < m; ++i) {  // the variance about the rounded mean, as the output uses it
      const float* row = x + i * n + j0;
      for (int64_t j = 0; j < w; ++j) {
        const double d = static_cast<double>(row[j] - mu[j]);
        squares[j] += d * d;
      }
    }
    for (int64_t j = 0; j < w; ++j) {
      const float v = m > 0 ? static_cast<float>(squares[j] / static_cast<double>(m)) : 0.0f;
      const float s = 1.0f / std::sqrt(v + eps);
      mean[j0 + j] = mu[j];
      var[j0 + j] = v;
      inv_std[j0 + j] = s;
      scale[j] = gamma != nullptr ? gamma[j0 + j] : 1.0f;
      shift[j] = beta != nullptr ? beta[j0 + j] : 0.0f;
    }
    const float* s = inv_std + j0;
    for (int64_t i = 0; i < m; ++i) {
      const float* row = x + i * n + j0;
      float* h = xhat + i * n + j0;
      float* o = out + i * n + j0;
      for (int64_t j = 0; j < w; ++j) {
        h[j] = (row[j] - mu[j]) * s[j];
        o[j] = h[j] * scale[j] + shift[j];
      }
    }
  });
}

void batch_norm_backward(int64_t m, int64_t n, const float* dy, const float* xhat, const float* gamma,
                         const float* inv_std, float* dx, float* dgamma, float* dbeta) {
  over_feature_chunks("batch_norm_backward", m, n, [&](int64_t j0, int64_t w) {
    double sum_dy[kFeatureChunk], sum_dy_xhat[kFeatureChunk];
    feature_sums(m, n, j0, w, dy, xhat, sum_dy, sum_dy_xhat, dgamma, dbeta);
    if (dx == nullptr || m == 0) return;
    // With d = dy * gamma: mean(d) = gamma * sum(dy) / m, mean(d * xhat) = gamma * sum(dy * xhat) / m.
    float scale[kFeatureChunk], mean_d[kFeatureChunk], mean_d_xhat[kFeatureChunk];
    for (int64_t j = 0; j < w; ++j) {
      scale[j] = gamma != nullptr ? gamma[j0 + j] : 1.0f;
      mean_d[j] = static_cast<float>(scale[j] * sum_dy[j] / static_cast<double>(m));
      mean_d_xhat[j] = static_cast<float>(scale[j] * sum_dy_xhat[j] / static_cast<double>(m));
    }
    const float* s = inv_std + j0;
    for (int64_t i = 0; i < m; ++i) {
      const float* g = dy + i * n + j0;
      const float* h = xhat + i * n + j0;
      float* d = dx + i * n + j0;
      for (int64_t j = 0; j < w; ++j) d[j] = s[j] * (g[j] * scale[j] - mean_d[j] - h[j] * mean_d_xhat[j]);
    }
  });
}

}  // namespace pykeras
