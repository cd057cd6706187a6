// The per-ISA part of the activations (activations.hpp): the same arithmetic compiled for each ISA,
// chosen at run time.
#pragma once

#include <cstdint>

#include "elementwise/unary_kind.hpp"

namespace pykeras {

struct ActivationKernels {
  const char* isa;
  void (*tanh_values)(int64_t n, const float* x, float* out);                      // out may be x
  void (*tanh_backward)(int64_t n, const float* dy, const float* y, float* out);  // out may be dy or y
  void (*sigmoid_values)(int64_t n, const float* x, float* out);                   // out may be x
  void (*sigmoid_backward)(int64_t n, const float* dy, const float* y, float* out);  // out may be dy or y
  void (*elu_values)(int64_t n, const float* x, float alpha, float scale, float* out);  // out may be x
  void (*elu_backward)(int64_t n, const float* dy, const float* x, const float* y, float shift, float scale,
                       float* out);  // out may be dy, x or y
  void (*leaky_relu_values)(int64_t n, const float* x, float slope, float* out);  // out may be x
  void (*leaky_relu_backward)(int64_t n, const float* dy, const float* x, float slope, float* out);  // out: dy, x
  void (*gelu_values)(int64_t n, const float* x, float* out);                      // out may be x
  void (*gelu_backward)(int64_t n, const float* dy, const float* x, float* out);  // out may be dy or x
  // By UnaryActivation.
  void (*unary_values[kUnaryActivations])(int64_t n, const float* x, float* out);  // out may be x
  void (*unary_backward[kUnaryActivations])(int64_t n, const float* dy, const float* x,
                                                  float* out);  // out may be dy or x
};

extern const ActivationKernels kActivationsPortable;
#if defined(PYKERAS_X86_KERNELS)
extern const ActivationKernels kActivationsAvx2;
extern const ActivationKernels kActivationsAvx512;
#endif

}  // namespace pykeras
