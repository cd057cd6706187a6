// A dense layer's activation. linear, relu and tanh are fused into the dense kernels (dense.hpp);
// the others are keras.activations' elementwise functions with their default arguments, applied to
// the layer's pre-activation z after its GEMM, computed as the rules of pykeras/ops/nn.py compute
// them (the same native kernels and float steps), so a chain gives the layer-by-layer bits.
#pragma once

#include <cstdint>

namespace pykeras {

enum class Activation {
  linear, relu, tanh,  // fused
  sigmoid, elu, selu, leaky_relu, gelu,
  // The unary activations (elementwise/unary_kind.hpp), in UnaryActivation's order.
  relu6, hard_sigmoid, hard_silu, softsign, silu, softplus, mish, log_sigmoid,
};

// True for the activations applied after the GEMM, whose gradient reads the pre-activation z.
inline bool applied_after_gemm(Activation act) { return act > Activation::tanh; }

// y = act(z) elementwise, for an activation applied after the GEMM. y may be z.
void activation_forward(Activation act, int64_t size, const float* z, float* y);

// dz = the gradient through act from the upstream dy, the pre-activation z and the output y.
void activation_backward(Activation act, int64_t size, const float* dy, const float* z, const float* y, float* dz);

}  // namespace pykeras
