// LayerNormalization over the features of each row of an m x n row-major array: the statistics and
// the gradient in a few passes, where numpy takes a dozen.
#pragma once

#include <cstdint>

namespace pykeras {

// Per row: mean and biased variance of its n values (summed in double), inv_std = 1 / sqrt(var +
// eps), xhat = (x - mean) * inv_std and out = xhat * gamma + beta, gamma and beta per feature (either
// may be null: 1 and 0). Writes out and xhat (m x n) and mean, var, inv_std (m each).
void layer_norm_forward(int64_t m, int64_t n, const float* x, const float* gamma, const float* beta, float eps,
                        float* out, float* xhat, float* mean, float* var, float* inv_std);

// The gradient of layer_norm_forward's out, given dy (m x n): dbeta = sum of dy and dgamma = sum of
// dy * xhat over the rows (each written if non-null; summed in double, rows in order), and, if dx is
// non-null, per row dx = inv_std * (d - mean(d) - xhat * mean(d * xhat)) with d = dy * gamma.
void layer_norm_backward(int64_t m, int64_t n, const float* dy, const float* xhat, const float* gamma,
                         const float* inv_std, float* dx, float* dgamma, float* dbeta);

}  // namespace pykeras
