// The activations the native code computes itself: tanh (a dense layer's activation), the logistic
// sigmoid and the exact GELU (keras.activations.gelu), with the gradients the dense layers need. Arithmetic of our own, with no library call
// and no fused multiply-add, so every CPU and every thread count gives the same bits.
#pragma once

#include <cstdint>

namespace pykeras {

// out = tanh(x) elementwise in float32, within 1.5 ulp of the exact value (numpy's float32 tanh:
// 1.4); NaN stays NaN, tanh(-0) = -0, tanh(+-inf) = +-1. out may be x.
void tanh_values(int64_t size, const float* x, float* out);

// out = dy * (1 - y * y): the gradient through tanh, from its output y. out may be dy or y.
void tanh_backward(int64_t size, const float* dy, const float* y, float* out);

// out = 1 / (1 + exp(-x)) elementwise in float32, within 2.5 ulp, subnormal results included (below
// x = -104 it rounds to 0); NaN stays NaN. out may be x.
void sigmoid_values(int64_t size, const float* x, float* out);

// out = x Phi(x), Phi the standard normal CDF, computed in double and rounded once: float32's relative
// precision down to its smallest normal numbers. NaN stays NaN; gelu(-inf) is NaN (-inf times 0).
// out may be x.
void gelu_values(int64_t size, const float* x, float* out);

// out = dy * (Phi(x) + x phi(x)), phi the standard normal density, in double. out may be dy or x.
void gelu_backward(int64_t size, const float* dy, const float* x, float* out);

}  // namespace pykeras
