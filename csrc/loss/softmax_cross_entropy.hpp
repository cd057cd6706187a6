// Fused sparse softmax cross-entropy from logits, and its gradient.
#pragma once

#include <cstdint>

namespace pykeras {

// Returns mean_i(-log softmax(logits)[i, labels[i]]) over m rows of c classes (max-subtracted,
// accumulated in double). If dlogits is not null, writes
//   dlogits = grad_scale * (softmax(logits) - onehot(labels)) / m.
// Labels must lie in [0, c): the first bad one raises std::invalid_argument naming its index and value.
// m == 0 returns 0. dlogits may be logits.
template <typename Label>
double softmax_cross_entropy(int64_t m, int64_t c, const float* logits, const Label* labels,
                             float* dlogits, float grad_scale);

}  // namespace pykeras
