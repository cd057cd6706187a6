#include "common/threads.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "common/check.hpp"

namespace pykeras {
namespace {

// Below this much work per thread, an extra thread costs more than it saves.
constexpr double kFlopsPerThread = 1.0e6;
constexpr double kMinParallelFlops = 2.0e6;
constexpr int64_t kElementsPerThread = 1 << 15;
constexpr int64_t kMinParallelElements = 1 << 16;
// Measured on Zen 4 gathering shuffled 3 KiB rows from a 188 MB array: 32 rows (100 KB) 16 -> 11 us
// with two threads, 128 rows 59 -> 30 us.
constexpr int64_t kScatteredBytesPerThread = 32 << 10;
constexpr int64_t kMinParallelScatteredBytes = 64 << 10;
// A team that worked a moment ago is still spinning (GOMP_SPINCOUNT, set by pykeras/_openmp_env.py,
// keeps it awake for over a millisecond): a parallel region then costs its fork and join, under a
// microsecond on Zen 4, against 40-90 us to wake a sleeping one. So a GEMM within kHotWindow of a
// parallel region is split from kHotDivisor times fewer flops: in W3's step at batch 128 the last
// layer's forward (0.33 MFLOP) 5.2 -> 3.5 us, its backward 15.3 -> 10.8 us. Memory-bound work keeps
// its thresholds: a one-sample layer's 128 KB of weights (about a microsecond) split costs more.
constexpr auto kHotWindow = std::chrono::microseconds(500);
constexpr int kHotDivisor = 8;
// A sanity bound: a typo such as set_num_threads(10**6) must not try to start a million threads.
constexpr int kMaxThreads = 1024;

// Contention guard settings: kSlowStreak parallel runs in a row, each slower than kSlowdown x the
// single-thread estimate, turn parallelism off for a backoff (one slow run is noise; a starved team
// is slow every time). The backoff starts short, because on a shared virtual machine a core is
// often taken away for a few milliseconds only, and doubles while the contention lasts (the runs
// that probe after each backoff are slow again), up to kMaxBackoff; a fast parallel run resets it.
// Single-thread speed starts at a modest guess and follows measured serial runs of at least
// kMinTimedFlops.
constexpr double kSlowdown = 3.0;
constexpr int kSlowStreak = 3;
constexpr int64_t kMinBackoffMs = 10;
constexpr int64_t kMaxBackoffMs = 640;
constexpr double kMinTimedFlops = 1.0e6;
// Parallel runs are checked from this size on: a one-sample layer split over two cores (~0.4 MFLOP,
// a few microseconds) is as exposed to a busy core as a big GEMM.
constexpr double kMinCheckedFlops = 2.0e5;
// Waking is not contention: a team idle for longer than its spin time sleeps, and on a virtual
// machine its first runs after that can take milliseconds while the host brings the other vCPU
// back. Slow runs ending within kWakeWindow of a parallel request made after more than kIdleGap
// without one do not count (otherwise a latency-bound caller pausing between bursts of calls
// would run each burst on one thread).
constexpr auto kIdleGap = std::chrono::milliseconds(1);
constexpr auto kWakeWindow = std::chrono::milliseconds(10);

using Clock = std::chrono::steady_clock;
std::atomic<int64_t> serial_until{0};           // Clock ticks; parallel kernels run alone until then
std::atomic<double> serial_flops_per_s{4.0e10};  // recent single-thread speed
std::atomic<int> slow_streak{0};                 // consecutive slow parallel runs
std::atomic<int64_t> backoff_ms{kMinBackoffMs};  // the next backoff
std::atomic<int64_t> last_request{0};           // Clock ticks of the latest parallel request
std::atomic<int64_t> waking_until{0};           // Clock ticks; slow runs until then are waking
std::atomic<int64_t> last_parallel{0};          // Clock ticks of the latest parallel region's start or end

int64_t ticks(Clock::time_point t) { return t.time_since_epoch().count(); }
int64_t ticks(Clock::duration d) { return d.count(); }

// Every parallel region starts with a request here; one after an idle gap opens a wake window.
int requested(int threads) {
  if (threads > 1) {
    const int64_t now = ticks(Clock::now());
    last_parallel.store(now, std::memory_order_relaxed);
    if (now - last_request.exchange(now, std::memory_order_relaxed) > ticks(Clock::duration(kIdleGap))) {
      waking_until.store(now + ticks(Clock::duration(kWakeWindow)), std::memory_order_relaxed);
    }
  }
  return threads;
}

// 1 for a team that may be asleep, kHotDivisor for one that worked within kHotWindow.
int hot_divisor() {
  const int64_t since = ticks(Clock::now()) - last_parallel.load(std::memory_order_relaxed);
  return since < ticks(Clock::duration(kHotWindow)) ? kHotDivisor : 1;
}

bool parallel_allowed() {
  return ticks(Clock::now()) >= serial_until.load(std::memory_order_relaxed);
}

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
  const double hot = hot_divisor();
  if (!(flops >= kMinParallelFlops / hot) || !parallel_allowed()) return 1;
  const double want = flops * hot / kFlopsPerThread;
  const int cap = num_threads();
  return requested(want >= cap ? cap : std::max(1, static_cast<int>(want)));
}

namespace {
// One thread per `per_thread` of work from `min_parallel` on, at most num_threads().
int threads_for_amount(int64_t amount, int64_t min_parallel, int64_t per_thread) {
  if (amount < min_parallel || !parallel_allowed()) return 1;
  const int64_t want = amount / per_thread;
  const int cap = num_threads();
  return requested(want >= cap ? cap : static_cast<int>(std::max<int64_t>(1, want)));
}
}  // namespace

int threads_for_elements(int64_t elements) {
  return threads_for_amount(elements, kMinParallelElements, kElementsPerThread);
}

int threads_for_scattered_bytes(int64_t bytes) {
  return threads_for_amount(bytes, kMinParallelScatteredBytes, kScatteredBytesPerThread);
}

void note_run(double flops, int threads, double seconds) {
  if (threads > 1) last_parallel.store(ticks(Clock::now()), std::memory_order_relaxed);
  if (!(flops >= (threads <= 1 ? kMinTimedFlops : kMinCheckedFlops)) || !(seconds > 0.0)) return;
  const double serial_rate = serial_flops_per_s.load(std::memory_order_relaxed);
  if (threads <= 1) {
    // An exponential average, so one descheduled serial run does not skew the estimate.
    serial_flops_per_s.store(0.875 * serial_rate + 0.125 * (flops / seconds), std::memory_order_relaxed);
    return;
  }
  if (!(seconds > kSlowdown * flops / serial_rate)) {
    slow_streak.store(0, std::memory_order_relaxed);
    backoff_ms.store(kMinBackoffMs, std::memory_order_relaxed);
    return;
  }
  const auto now = Clock::now();
  if (ticks(now) < waking_until.load(std::memory_order_relaxed)) return;
  if (slow_streak.fetch_add(1, std::memory_order_relaxed) + 1 >= kSlowStreak) {
    slow_streak.store(0, std::memory_order_relaxed);
    const int64_t wait = backoff_ms.load(std::memory_order_relaxed);
    backoff_ms.store(std::min(2 * wait, kMaxBackoffMs), std::memory_order_relaxed);
    serial_until.store(ticks(now + std::chrono::milliseconds(wait)), std::memory_order_relaxed);
  }
}

}  // namespace pykeras
