// Fused softmax cross-entropy from logits, and its gradient: against integer labels (sparse) or
// against class probabilities (one-hot or soft targets).
//
// Row weights (Keras's per-sample weights under a mean reduction): when row_weights is not null,
// row i's loss and its gradient are multiplied by row_weights[i], the sum still divided by m. Null
// weights give the unweighted bits exactly.
#pragma once

#include <cstdint>

namespace pykeras {

// Targets given as probabilities per class: row i of an m x c row-major array.
struct ClassProbabilities {
  const float* values;
};

// Returns mean_i(-log softmax(logits)[i, labels[i]]) over m rows of c classes (max-subtracted,
// accumulated in double). If dlogits is not null, writes
//   dlogits = grad_scale * (softmax(logits) - onehot(labels)) / m.
// Labels must lie in [0, c): the first bad one raises std::invalid_argument naming its index and value.
// m == 0 returns 0. dlogits may be logits.
template <typename Label>
double softmax_cross_entropy(int64_t m, int64_t c, const float* logits, const Label* labels,
                             float* dlogits, float grad_scale, const float* row_weights = nullptr);

// Returns mean_i(-sum_j t[i, j] log softmax(logits)[i, j]) for t = targets.values (max-subtracted,
// accumulated in double; the targets are not checked: Keras takes any). If dlogits is not null, writes
//   dlogits = grad_scale * (softmax(logits) * sum_j t[i, j] - t) / m.
// m == 0 returns 0. dlogits may be logits.
double softmax_cross_entropy(int64_t m, int64_t c, const float* logits, ClassProbabilities targets,
                             float* dlogits, float grad_scale, const float* row_weights = nullptr);

}  // namespace pykeras
