#include "common/threads.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>

#include "common/check.hpp"

namespace pykeras {
namespace {

// Below this much work per thread, an extra thread costs more than it saves.
constexpr double kFlopsPerThread = 1.0e6;
constexpr double kMinParallelFlops = 2.0e6;
constexpr int64_t kElementsPerThread = 1 << 15;
constexpr int64_t kMinParallelElements = 1 << 16;
// A sanity bound: a typo such as set_num_threads(10**6) must not try to start a million threads.
constexpr int kMaxThreads = 1024;

std::atomic<int>& user_threads() {
  // omp_get_max_threads() honours OMP_NUM_THREADS and defaults to the number of cores.
  static std::atomic<int> n{std::clamp(omp_get_max_threads(), 1, kMaxThreads)};
  return n;
}

}  // namespace

int num_threads() { return user_threads().load(std::memory_order_relaxed); }

void set_num_threads(int n) {
  check(n >= 1 && n <= kMaxThreads, "set_num_threads: the thread count must be in [1, ", kMaxThreads,
        "]. Received: n=", n);
  user_threads().store(n, std::memory_order_relaxed);
}

int threads_for_flops(double flops) {
  if (!(flops >= kMinParallelFlops)) return 1;
  const double want = flops / kFlopsPerThread;
  const int cap = num_threads();
  return want >= cap ? cap : std::max(1, static_cast<int>(want));
}

int threads_for_elements(int64_t elements) {
  if (elements < kMinParallelElements) return 1;
  const int64_t want = elements / kElementsPerThread;
  const int cap = num_threads();
  return want >= cap ? cap : static_cast<int>(std::max<int64_t>(1, want));
}

}  // namespace pykeras
