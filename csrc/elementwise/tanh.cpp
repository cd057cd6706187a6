#include "elementwise/tanh.hpp"

#include <cstring>

#include "common/check.hpp"
#include "common/threads.hpp"
#include "elementwise/tanh_kernels.hpp"
#include "gemm/dispatch.hpp"

namespace pykeras {
namespace {

// The kernels follow the GEMM's ISA choice, as the optimizer rules do.
const TanhKernels& active_tanh() {
#if defined(PYKERAS_X86_KERNELS)
  const char* isa = gemm::active_kernel().name;
  if (std::strcmp(isa, kTanhAvx512.isa) == 0) return kTanhAvx512;
  if (std::strcmp(isa, kTanhAvx2.isa) == 0) return kTanhAvx2;
#endif
  return kTanhPortable;
}

// f(offset, count) over [0, size) in one contiguous part per thread.
template <typename F>
void in_parts(int64_t size, const F& f) {
  const int nt = threads_for_elements(size);
  if (nt <= 1) {
    f(0, size);
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int t = 0; t < nt; ++t) {
    const int64_t lo = size * t / nt, hi = size * (t + 1) / nt;
    f(lo, hi - lo);
  }
}

}  // namespace

void tanh_values(int64_t size, const float* x, float* out) {
  check_nonnegative("tanh_values", "size", size);
  const TanhKernels& k = active_tanh();
  in_parts(size, [&](int64_t i, int64_t n) { k.values(n, x + i, out + i); });
}

void tanh_backward(int64_t size, const float* dy, const float* y, float* out) {
  check_nonnegative("tanh_backward", "size", size);
  const TanhKernels& k = active_tanh();
  in_parts(size, [&](int64_t i, int64_t n) { k.backward(n, dy + i, y + i, out + i); });
}

}  // namespace pykeras
