// tanh and its gradient for the dense layers' tanh activation, in float32 arithmetic of our own: no
// library call and no fused multiply-add (the file is compiled with -ffp-contract=off), so every CPU
// and every thread count gives the same bits.
#pragma once

#include <cstdint>

namespace pykeras {

// out = tanh(x) elementwise, within 1.5 ulp of the exact value (numpy's float32 tanh: 1.4); NaN stays
// NaN, tanh(-0) = -0, tanh(+-inf) = +-1. out may be x.
void tanh_values(int64_t size, const float* x, float* out);

// out = dy * (1 - y * y): the gradient through tanh, from its output y. out may be dy or y.
void tanh_backward(int64_t size, const float* dy, const float* y, float* out);

}  // namespace pykeras
