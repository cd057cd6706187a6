// A classifier's mean cross-entropy of its logits, chosen by the targets' type: softmax against
// integer labels or class probabilities, sigmoid against binary targets. For code generic in them
// (a dense chain's training pass, the bindings).
#pragma once

#include <cstdint>

#include "loss/sigmoid_cross_entropy.hpp"
#include "loss/softmax_cross_entropy.hpp"

namespace pykeras {

template <typename Label>
double logits_loss(int64_t m, int64_t c, const float* logits, const Label* labels, float* dlogits, float scale,
                   const float* row_weights = nullptr) {
  return softmax_cross_entropy(m, c, logits, labels, dlogits, scale, row_weights);
}

inline double logits_loss(int64_t m, int64_t c, const float* logits, ClassProbabilities targets, float* dlogits,
                          float scale, const float* row_weights = nullptr) {
  return softmax_cross_entropy(m, c, logits, targets, dlogits, scale, row_weights);
}

inline double logits_loss(int64_t m, int64_t c, const float* logits, BinaryTargets targets, float* dlogits,
                          float scale, const float* row_weights = nullptr) {
  return sigmoid_cross_entropy(m, c, logits, targets, dlogits, scale, row_weights);
}

}  // namespace pykeras
