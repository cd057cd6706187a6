#include "data/take_rows.hpp"

#include <cstring>
#include <stdexcept>

#include <omp.h>

#include "common/check.hpp"
#include "common/threads.hpp"

namespace pykeras {
namespace {
// Threads split every row, not the rows, from this many rows and this many bytes per thread.
constexpr int64_t kBandsMinRows = 64;
constexpr int64_t kBandsMinBytes = 1024;
}  // namespace

void take_rows(const char* src, int64_t rows, int64_t row_bytes, const int64_t* index, int64_t count, char* dst) {
  check_nonnegative("take_rows", "rows", rows);
  check_nonnegative("take_rows", "row_bytes", row_bytes);
  check_nonnegative("take_rows", "count", count);
  for (int64_t r = 0; r < count; ++r) {
    if (index[r] < 0 || index[r] >= rows)
      throw std::out_of_range(str_cat("take_rows: every index must be in [0, ", rows, "). Received: index[", r,
                                      "]=", index[r]));
  }
  // Shuffled rows of a dataset larger than the caches come from DRAM, each one a fresh miss: a second
  // thread doubles the misses in flight (a batch of 128 rows of 784 floats: 59 to 30 us on Zen 4).
  const int nt = threads_for_scattered_bytes(count * row_bytes);
  if (nt > 1 && count >= kBandsMinRows && row_bytes >= kBandsMinBytes * nt) {
    // Each thread copies its band of every row: the band of the features the same core reads next, in
    // the first layer's k-split forward and its weight gradient (gemm::sgemm_split_k), which then find
    // the batch in their own cache. Measured in W3's fit at batch 128: the gradient call 704-746 ->
    // 675-699 us, the copy unchanged. With few rows the extra first misses of the half rows cost
    // more (batch 32: the copy 13-16 -> 16-20 us, the rest unchanged).
#pragma omp parallel num_threads(nt)
    {
      const int t = omp_get_thread_num(), team = omp_get_num_threads();
      const int64_t lo = row_bytes * t / team, hi = row_bytes * (t + 1) / team;
      for (int64_t r = 0; r < count; ++r)
        std::memcpy(dst + r * row_bytes + lo, src + index[r] * row_bytes + lo, hi - lo);
    }
    return;
  }
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
  for (int64_t r = 0; r < count; ++r) std::memcpy(dst + r * row_bytes, src + index[r] * row_bytes, row_bytes);
}

}  // namespace pykeras
