// The per-ISA part of dropout_mask (dropout_mask.hpp): the same integer arithmetic compiled for each
// ISA, chosen at run time; every ISA gives the same mask.
#pragma once

#include <cstdint>

namespace pykeras {

struct DropoutMaskKernels {
  const char* isa;
  // out[i] for i in [0, count): element 4 * first_block + i of the mask.
  void (*mask)(uint64_t key, uint32_t threshold, float scale, int64_t first_block, int64_t count, float* out);
};

extern const DropoutMaskKernels kDropoutMaskPortable;
#if defined(PYKERAS_X86_KERNELS)
extern const DropoutMaskKernels kDropoutMaskAvx2;
extern const DropoutMaskKernels kDropoutMaskAvx512;
#endif

}  // namespace pykeras
