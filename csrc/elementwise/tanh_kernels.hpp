// The per-ISA part of tanh (tanh.hpp): the same arithmetic compiled for each ISA, chosen at run time.
#pragma once

#include <cstdint>

namespace pykeras {

struct TanhKernels {
  const char* isa;
  void (*values)(int64_t n, const float* x, float* out);                      // out may be x
  void (*backward)(int64_t n, const float* dy, const float* y, float* out);  // out may be dy or y
};

extern const TanhKernels kTanhPortable;
#if defined(PYKERAS_X86_KERNELS)
extern const TanhKernels kTanhAvx2;
extern const TanhKernels kTanhAvx512;
#endif

}  // namespace pykeras
