// Bias and ReLU kernels and their gradients, on raw float32 buffers.
#pragma once

#include <cstdint>

namespace pykeras {

// y[i*n + j] += b[j] for an m x n row-major y.
void bias_add(int64_t m, int64_t n, float* y, const float* b);

// out[i*n + j] = x[i*n + j] * scale[j] + shift[j] for m x n row-major x, rounded after the product and
// after the sum (no fused multiply-add), as numpy's x * scale + shift. out may be x.
void scale_shift_columns(int64_t m, int64_t n, const float* x, const float* scale, const float* shift, float* out);

// out[i] = x[i] < 0 ? 0 : x[i]. NaN stays NaN (so does -0.0). out may be x.
void relu(int64_t size, const float* x, float* out);

// out = x * s elementwise (one float multiply each, as numpy's); out may be x.
void multiply(int64_t size, const float* x, const float* s, float* out);

// out[i] = y[i] > 0 ? dy[i] : 0, the mask taken from the forward OUTPUT y (NaN in y gives 0).
// out may be dy or y.
void relu_backward(int64_t size, const float* dy, const float* y, float* out);

// out[j] = sum_i dy[i*n + j] for an m x n row-major dy, each column summed in row order (in double),
// so the result does not depend on the thread count. With relu_y (m x n, the forward output), each
// term is taken as relu_y > 0 ? dy : 0 (the ReLU gradient), without writing it out.
void bias_grad(int64_t m, int64_t n, const float* dy, float* out, const float* relu_y = nullptr);

}  // namespace pykeras
