// The unary activations: Keras's elementwise activations whose output and gradient are functions of
// the input alone (the gradient of dy and x). The first four are built from +, -, *, / and
// comparisons alone: computed in float32 with each operation rounded as numpy rounds it, they give
// numpy's bits for Keras's formulas (NaN stays NaN, -0 stays -0):
//   relu6         clip(x, 0, 6)                  grad: dy where 0 < x < 6, else 0 * dy
//   hard_sigmoid  clip(x / 6 + 0.5, 0, 1)        grad: dy / 6 where -3 < x < 3, else 0 * dy
//   hard_silu     x * clip(x / 6 + 0.5, 0, 1)    grad: 0 * dy where x <= -3, dy where x >= 3,
//                                                      else dy * (x / 3 + 0.5)
//   softsign      x / (1 + |x|)                  grad: dy / ((1 + |x|) * (1 + |x|))
// clip(v, lo, hi) is v < lo ? lo : (v > hi ? hi : v), as numpy.clip. The others go through the
// float32 sigmoid and tanh kernels and softplus, computed in double and rounded once (within 1 ulp):
//   silu          x * sigmoid(x)                 grad: dy * (s + (x * s) * (1 - s)), s = sigmoid(x)
//   softplus      log(1 + exp(x))                grad: dy * sigmoid(x)
//   mish          x * tanh(softplus(x))          grad: dy * (t + (x * (1 - t * t)) * sigmoid(x)),
//                                                      t = tanh(softplus(x))
//   log_sigmoid   -softplus(-x)                  grad: dy * sigmoid(-x)
#pragma once

namespace pykeras {

enum class UnaryActivation { relu6, hard_sigmoid, hard_silu, softsign, silu, softplus, mish, log_sigmoid };
constexpr int kUnaryActivations = 8;

}  // namespace pykeras
