#include "loss/sigmoid_cross_entropy.hpp"

#include <cmath>
#include <vector>

#include "common/check.hpp"
#include "common/threads.hpp"

namespace pykeras {

double sigmoid_cross_entropy(int64_t m, int64_t c, const float* logits, BinaryTargets targets, float* dlogits,
                             float grad_scale, const float* row_weights) {
  const char* op = "sigmoid_cross_entropy";
  check_nonnegative(op, "m", m);
  check_nonnegative(op, "c", c);
  if (m == 0 || c == 0) return 0.0;
  const double scale = static_cast<double>(grad_scale) / (static_cast<double>(m) * static_cast<double>(c));
  // Per-row means, summed in row order afterwards: the result does not depend on the thread count.
  std::vector<double> row_loss(static_cast<size_t>(m));
  // An exp and a log1p in double per logit, as the softmax loss costs.
  constexpr double kFlopsPerLogit = 800.0;
  const int nt = threads_for_flops(static_cast<double>(m * c) * kFlopsPerLogit);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (int64_t i = 0; i < m; ++i) {
    const float* z = logits + i * c;
    const float* t = targets.values + i * c;
    float* g = dlogits == nullptr ? nullptr : dlogits + i * c;
    const double weight = row_weights == nullptr ? 1.0 : row_weights[i];  // times 1.0: exact
    const double s = scale * weight;
    double sum = 0.0;
    for (int64_t j = 0; j < c; ++j) {
      const double x = z[j], e = std::exp(-std::fabs(x));
      sum += (x > 0.0 ? x : 0.0) - t[j] * x + std::log1p(e);
      if (g != nullptr) {  // after z[j] is read: g may be z
        const double sigmoid = x >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
        g[j] = static_cast<float>(s * (sigmoid - t[j]));
      }
    }
    row_loss[static_cast<size_t>(i)] = weight * (sum / static_cast<double>(c));
  }
  double total = 0.0;
  for (double l : row_loss) total += l;
  return total / static_cast<double>(m);
}

}  // namespace pykeras
