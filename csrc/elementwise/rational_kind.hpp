// The kinds of rational activation: Keras's activations built from +, -, *, / and comparisons alone,
// computed in float32 with each operation rounded as numpy rounds it, so the results are numpy's
// bits (NaN stays NaN, -0 stays -0).
//   relu6         clip(x, 0, 6)                  grad: dy where 0 < x < 6, else 0 * dy
//   hard_sigmoid  clip(x / 6 + 0.5, 0, 1)        grad: dy / 6 where -3 < x < 3, else 0 * dy
//   hard_silu     x * clip(x / 6 + 0.5, 0, 1)    grad: 0 * dy where x <= -3, dy where x >= 3,
//                                                      else dy * (x / 3 + 0.5)
//   softsign      x / (1 + |x|)                  grad: dy / ((1 + |x|) * (1 + |x|))
// clip(v, lo, hi) is v < lo ? lo : (v > hi ? hi : v), as numpy.clip.
#pragma once

namespace pykeras {

enum class RationalActivation { relu6, hard_sigmoid, hard_silu, softsign };
constexpr int kRationalActivations = 4;

}  // namespace pykeras
