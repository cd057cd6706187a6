// Thread count: the one user setting and the one policy that shrinks it for small work.
//
// Waking an OpenMP team costs a few microseconds; a kernel that does less work than that per thread
// runs faster alone. Every kernel asks here how many threads to use, so the policy lives in one place.
#pragma once

#include <cstdint>

namespace pykeras {

// The thread count set by the user: OMP_NUM_THREADS if set, else the number of cores.
int num_threads();
// 1 <= n <= 1024, else std::invalid_argument.
void set_num_threads(int n);

// Threads for a compute-bound kernel doing `flops` floating-point operations (GEMM and friends):
// one per ~1 MFLOP, single-threaded below 2 MFLOP, never more than num_threads(). Right after a
// parallel region (within 0.5 ms), while the team still spins, eight times less work is enough.
int threads_for_flops(double flops);
// Threads for a memory-bound kernel touching `elements` floats (elementwise ops, reductions).
int threads_for_elements(int64_t elements);
// Threads for copying `bytes` from scattered places (rows picked by an index): bound by memory
// latency rather than bandwidth, so a second thread pays from a smaller size than streaming does.
int threads_for_scattered_bytes(int64_t bytes);

// Contention guard. An OpenMP team assumes a free core per thread; when another process holds the
// other core, every barrier waits out a scheduler slice (milliseconds, not microseconds), and a
// 100 us GEMM takes 10 ms. Kernels report how long their runs took; a parallel run slower than the
// work would have taken on one thread switches parallelism off for a short while, after which it
// is tried again. Results do not depend on the thread count, so this never changes an answer.
// Runs just after an idle spell are exempt: a sleeping team is slow to wake, not starved.
void note_run(double flops, int threads, double seconds);

}  // namespace pykeras
