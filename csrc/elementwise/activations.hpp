// The activations the native code computes itself: tanh (a dense layer's activation), the logistic
// sigmoid, ELU / SELU, leaky ReLU, the exact GELU (keras.activations.gelu) and the unary ones
// (unary_kind.hpp: relu6, hard_sigmoid, hard_silu, softsign, SiLU, softplus, mish, log_sigmoid),
// with the gradients the dense layers need. Arithmetic of our own, with no library call and no fused
// multiply-add, so every CPU and every thread count gives the same bits.
#pragma once

#include <cstdint>

#include "elementwise/unary_kind.hpp"

namespace pykeras {

// out = tanh(x) elementwise in float32, within 1.5 ulp of the exact value (numpy's float32 tanh:
// 1.4); NaN stays NaN, tanh(-0) = -0, tanh(+-inf) = +-1. out may be x.
void tanh_values(int64_t size, const float* x, float* out);

// out = dy * (1 - y * y): the gradient through tanh, from its output y. out may be dy or y.
void tanh_backward(int64_t size, const float* dy, const float* y, float* out);

// out = 1 / (1 + exp(-x)) elementwise in float32, within 2.5 ulp, subnormal results included (below
// x = -104 it rounds to 0); NaN stays NaN. out may be x.
void sigmoid_values(int64_t size, const float* x, float* out);

// out = (dy * y) * (1 - y): the gradient through the sigmoid from its output y. out may be dy or y.
void sigmoid_backward(int64_t size, const float* dy, const float* y, float* out);

// out = scale * (x if x > 0 else alpha * (exp(x) - 1)) elementwise in float32, within 3 ulp: ELU
// (scale 1) and SELU. NaN stays NaN. out may be x.
void elu_values(int64_t size, const float* x, float alpha, float scale, float* out);

// out = dy * scale where x > 0, else dy * (y + shift), from the input x and output y: ELU's gradient
// with scale 1 and shift alpha, SELU's with its scale and scale * alpha. out may be dy, x or y.
void elu_backward(int64_t size, const float* dy, const float* x, const float* y, float shift, float scale,
                  float* out);

// out = x if x > 0 else x * slope elementwise (one float multiply, as numpy's). out may be x.
void leaky_relu_values(int64_t size, const float* x, float slope, float* out);

// out = dy where x > 0, else dy * slope. out may be dy or x.
void leaky_relu_backward(int64_t size, const float* dy, const float* x, float slope, float* out);

// out = x Phi(x), Phi the standard normal CDF, computed in double and rounded once: float32's relative
// precision down to its smallest normal numbers. NaN stays NaN; gelu(-inf) is NaN (-inf times 0).
// out may be x.
void gelu_values(int64_t size, const float* x, float* out);

// out = dy * (Phi(x) + x phi(x)), phi the standard normal density, in double. out may be dy or x.
void gelu_backward(int64_t size, const float* dy, const float* x, float* out);

// out = the unary activation `kind` (unary_kind.hpp) of x elementwise. out may be x.
void unary_activation(UnaryActivation kind, int64_t size, const float* x, float* out);

// out = its gradient from the input x and the upstream gradient dy. out may be dy or x.
void unary_activation_backward(UnaryActivation kind, int64_t size, const float* dy, const float* x, float* out);

}  // namespace pykeras
