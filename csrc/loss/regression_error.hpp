// Fused mean squared and mean absolute errors of a regression's outputs, and their gradients.
#pragma once

#include <cstdint>

namespace pykeras {

// Targets of a regression loss: row i of an m x c row-major array, one per output.
struct SquaredErrorTargets {
  const float* values;
};
struct AbsoluteErrorTargets {
  const float* values;
};

// Returns mean_i(w_i mean_j((y - t)^2)) over m rows of c outputs y with targets t (accumulated in
// double, rows summed in order; w_i = row_weights[i], or 1 when row_weights is null). If dy is not
// null, writes dy = grad_scale * w_i * 2 (y - t) / (m c). m == 0 or c == 0 returns 0. dy may be y.
double squared_error(int64_t m, int64_t c, const float* y, SquaredErrorTargets targets, float* dy, float grad_scale,
                     const float* row_weights = nullptr);

// As squared_error for |y - t|; the gradient is grad_scale * w_i * sign(y - t) / (m c), 0 where
// y == t (as the gradient of abs is taken), NaN where y - t is NaN.
double absolute_error(int64_t m, int64_t c, const float* y, AbsoluteErrorTargets targets, float* dy,
                      float grad_scale, const float* row_weights = nullptr);

}  // namespace pykeras
