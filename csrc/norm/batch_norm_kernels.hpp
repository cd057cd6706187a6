// The per-ISA part of batch_norm.hpp: one chunk of columns of the forward and backward passes, the same
// arithmetic compiled for each ISA (each column's sums stay in row order, so every ISA gives the same
// bits), chosen at run time.
#pragma once

#include <cstdint>

namespace pykeras {

struct BatchNormKernels {
  const char* isa;
  // batch_norm_forward on columns [j0, j0 + w) of the m x n arrays.
  void (*forward)(int64_t m, int64_t n, int64_t j0, int64_t w, const float* x, const float* gamma,
                  const float* beta, float eps, float* out, float* xhat, float* mean, float* var, float* inv_std);
  // batch_norm_backward on columns [j0, j0 + w).
  void (*backward)(int64_t m, int64_t n, int64_t j0, int64_t w, const float* dy, const float* xhat,
                   const float* gamma, const float* inv_std, float* dx, float* dgamma, float* dbeta);
};

extern const BatchNormKernels kBatchNormPortable;
#if defined(PYKERAS_X86_KERNELS)
extern const BatchNormKernels kBatchNormAvx2;
extern const BatchNormKernels kBatchNormAvx512;
#endif

}  // namespace pykeras
