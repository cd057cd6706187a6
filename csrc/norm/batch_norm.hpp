// BatchNormalization in training over the rows of an m x n row-major array, each column a feature:
// the statistics and the gradient in a few passes, where numpy takes a dozen.
#pragma once

#include <cstdint>

namespace pykeras {

// Per column: mean and biased variance of x (summed in double, rows in order, so the bits do not
// depend on the thread count), inv_std = 1 / sqrt(var + eps), xhat = (x - mean) * inv_std and
// out = xhat * gamma + beta (gamma and beta may be null: 1 and 0). Writes out and xhat (m x n; the
// backward pass reads xhat) and mean, var, inv_std (n each).
void batch_norm_forward(int64_t m, int64_t n, const float* x, const float* gamma, const float* beta, float eps,
                        float* out, float* xhat, float* mean, float* var, float* inv_std);

// The gradient of batch_norm_forward's out, given dy (m x n): dbeta = sum of dy and dgamma = sum of
// dy * xhat over the rows (each written if non-null), and, if dx is non-null,
// dx = inv_std * (d - mean(d) - xhat * mean(d * xhat)) with d = dy * gamma (dy when gamma is null).
void batch_norm_backward(int64_t m, int64_t n, const float* dy, const float* xhat, const float* gamma,
                         const float* inv_std, float* dx, float* dgamma, float* dbeta);

// Inference: BatchNormalization's moving statistics folded with gamma and beta into the factors of
// out = x * scale + shift, per column, each step a float32 operation rounded as the layer's ops
// round it: scale = (1 / sqrt(variance + eps)) * gamma, shift = -(mean * scale) + beta (gamma and beta
// may be null: 1 and 0).
void fold_batch_norm(int64_t n, const float* mean, const float* variance, const float* gamma, const float* beta,
                     float eps, float* scale, float* shift);

// BatchNormalization's moving averages moved by one batch's statistics, each step a float32 operation
// rounded as the layer's ops round it: moving = moving * momentum + batch * (1 - momentum).
void update_moving_statistics(int64_t n, const float* mean, const float* variance, float momentum, float* moving_mean,
                              float* moving_variance);

}  // namespace pykeras
