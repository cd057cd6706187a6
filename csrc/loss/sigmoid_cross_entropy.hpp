// Fused sigmoid (binary) cross-entropy from logits, and its gradient.
#pragma once

#include <cstdint>

namespace pykeras {

// Targets of a binary cross-entropy: row i of an m x c row-major array, one per logit.
struct BinaryTargets {
  const float* values;
};

// Returns mean_i(mean_j(softplus(z) - t z)) over m rows of c logits z with targets t (computed as
// max(z, 0) - t z + log1p(exp(-|z|)), accumulated in double, rows summed in order). If dlogits is
// not null, writes dlogits = grad_scale * (sigmoid(z) - t) / (m c). The targets are not checked
// (Keras takes any). m == 0 returns 0. dlogits may be logits. Row weights, if not null, multiply row
// i's mean and its gradient, as softmax_cross_entropy's do.
double sigmoid_cross_entropy(int64_t m, int64_t c, const float* logits, BinaryTargets targets, float* dlogits,
                             float grad_scale, const float* row_weights = nullptr);

}  // namespace pykeras
