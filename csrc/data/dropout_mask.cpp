#include "data/dropout_mask.hpp"

#include <cmath>

#include "common/check.hpp"
#include "common/threads.hpp"
#include "data/dropout_mask_kernels.hpp"
#include "gemm/dispatch.hpp"

namespace pykeras {
namespace {

// Threads split the mask at multiples of this many elements: whole blocks, whole cache lines.
constexpr int64_t kSplitAlign = 64;
// An element costs about a nanosecond (ten rounds of two 32 x 32-bit products per four elements, bound
// by the multiplier), the time of some hundred flops of a GEMM: the thread count follows the GEMM's
// policy for that much work, so a mask drawn right after a training step's GEMMs, while their team still
// spins, is split from about 2,500 elements, and one drawn cold from 20,000.
constexpr double kFlopsPerElement = 100.0;

// The kernels follow the GEMM's ISA choice, so set_isa("portable") selects the portable ones too.
const DropoutMaskKernels& active_kernels() {
#if defined(PYKERAS_X86_KERNELS)
  return gemm::table_for_active_isa(kDropoutMaskPortable, {&kDropoutMaskAvx512, &kDropoutMaskAvx2});
#else
  return kDropoutMaskPortable;
#endif
}

}  // namespace

uint32_t dropout_threshold(double rate) {
  check(rate >= 0.0 && rate <= 1.0, "dropout_threshold: rate must be in [0, 1]. Received: rate=", rate);
  return static_cast<uint32_t>(std::ceil(rate * 16777216.0));
}

void dropout_mask(uint64_t key, uint32_t threshold, float scale, int64_t n, float* out) {
  check_nonnegative("dropout_mask", "n", n);
  check(threshold <= (1u << 24), "dropout_mask: threshold must be at most 2^24. Received: threshold=", threshold);
  const DropoutMaskKernels& kernels = active_kernels();
  const int nt = threads_for_flops(static_cast<double>(n) * kFlopsPerElement);
  if (nt <= 1) {
    kernels.mask(key, threshold, scale, 0, n, out);
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static, 1)
  for (int t = 0; t < nt; ++t) {
    const int64_t lo = n * t / nt / kSplitAlign * kSplitAlign;
    const int64_t hi = t + 1 == nt ? n : n * (t + 1) / nt / kSplitAlign * kSplitAlign;
    if (lo < hi) kernels.mask(key, threshold, scale, lo / 4, hi - lo, out + lo);
  }
}

}  // namespace pykeras
