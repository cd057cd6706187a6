#include "loss/regression_error.hpp"

#include <cmath>
#include <vector>

#include "common/check.hpp"
#include "common/threads.hpp"

namespace pykeras {

namespace {

// The shared pass: per row, the weighted mean of error(d) over d = y - t, and the gradient
// scale * w_i * slope(d). Per-row means are summed in row order afterwards, so the result does
// not depend on the thread count.
template <typename Error, typename Slope>
double row_mean_error(const char* op, int64_t m, int64_t c, const float* y, const float* t, float* dy,
                      float grad_scale, const float* row_weights, Error error, Slope slope) {
  check_nonnegative(op, "m", m);
  check_nonnegative(op, "c", c);
  if (m == 0 || c == 0) return 0.0;
  const double scale = static_cast<double>(grad_scale) / (static_cast<double>(m) * static_cast<double>(c));
  std::vector<double> row_loss(static_cast<size_t>(m));
  const int nt = threads_for_elements(m * c);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (int64_t i = 0; i < m; ++i) {
    const float* yi = y + i * c;
    const float* ti = t + i * c;
    float* gi = dy == nullptr ? nullptr : dy + i * c;
    const double weight = row_weights == nullptr ? 1.0 : row_weights[i];  // times 1.0: exact
    const double s = scale * weight;
    double sum = 0.0;
    for (int64_t j = 0; j < c; ++j) {
      const double d = static_cast<double>(yi[j]) - ti[j];
      sum += error(d);
      if (gi != nullptr) gi[j] = static_cast<float>(s * slope(d));  // after yi[j] is read: dy may be y
    }
    row_loss[static_cast<size_t>(i)] = weight * (sum / static_cast<double>(c));
  }
  double total = 0.0;
  for (double l : row_loss) total += l;
  return total / static_cast<double>(m);
}

}  // namespace

double squared_error(int64_t m, int64_t c, const float* y, SquaredErrorTargets targets, float* dy, float grad_scale,
                     const float* row_weights) {
  return row_mean_error(
      "squared_error", m, c, y, targets.values, dy, grad_scale, row_weights, [](double d) { return d * d; },
      [](double d) { return 2.0 * d; });
}

double absolute_error(int64_t m, int64_t c, const float* y, AbsoluteErrorTargets targets, float* dy,
                      float grad_scale, const float* row_weights) {
  // sign(d) with sign(0) = 0; a NaN d passes through.
  return row_mean_error(
      "absolute_error", m, c, y, targets.values, dy, grad_scale, row_weights, [](double d) { return std::fabs(d); },
      [](double d) { return d > 0.0 ? 1.0 : d < 0.0 ? -1.0 : d; });
}

}  // namespace pykeras
