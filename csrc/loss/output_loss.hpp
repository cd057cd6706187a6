// The mean loss of a model's last outputs, chosen by the targets' type: a classifier's cross-entropy of
// its logits (softmax against integer labels or class probabilities, sigmoid against binary targets),
// or a regression's squared or absolute error. For code generic in them (a dense chain's training
// pass, the bindings).
#pragma once

#include <cstdint>

#include "loss/regression_error.hpp"
#include "loss/sigmoid_cross_entropy.hpp"
#include "loss/softmax_cross_entropy.hpp"

namespace pykeras {

template <typename Label>
double output_loss(int64_t m, int64_t c, const float* outputs, const Label* labels, float* doutputs, float scale,
                   const float* row_weights = nullptr) {
  return softmax_cross_entropy(m, c, outputs, labels, doutputs, scale, row_weights);
}

inline double output_loss(int64_t m, int64_t c, const float* outputs, ClassProbabilities targets, float* doutputs,
                          float scale, const float* row_weights = nullptr) {
  return softmax_cross_entropy(m, c, outputs, targets, doutputs, scale, row_weights);
}

inline double output_loss(int64_t m, int64_t c, const float* outputs, BinaryTargets targets, float* doutputs,
                          float scale, const float* row_weights = nullptr) {
  return sigmoid_cross_entropy(m, c, outputs, targets, doutputs, scale, row_weights);
}

inline double output_loss(int64_t m, int64_t c, const float* outputs, SquaredErrorTargets targets, float* doutputs,
                          float scale, const float* row_weights = nullptr) {
  return squared_error(m, c, outputs, targets, doutputs, scale, row_weights);
}

inline double output_loss(int64_t m, int64_t c, const float* outputs, AbsoluteErrorTargets targets, float* doutputs,
                          float scale, const float* row_weights = nullptr) {
  return absolute_error(m, c, outputs, targets, doutputs, scale, row_weights);
}

}  // namespace pykeras
