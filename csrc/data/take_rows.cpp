#include "data/take_rows.hpp"

#include <cstring>
#include <stdexcept>

#include "common/check.hpp"
#include "common/threads.hpp"

namespace pykeras {

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
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
  for (int64_t r = 0; r < count; ++r) std::memcpy(dst + r * row_bytes, src + index[r] * row_bytes, row_bytes);
}

}  // namespace pykeras
