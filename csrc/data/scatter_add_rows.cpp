#include "data/scatter_add_rows.hpp"

#include <stdexcept>

#include "common/check.hpp"

namespace pykeras {

// One thread: rows taken more than once must be summed in order, and a batch's gradient (a few
// thousand rows of a few dozen floats) is a few microseconds of adds.
void scatter_add_rows(const float* src, const int64_t* index, int64_t count, int64_t cols, float* dst, int64_t rows) {
  check_nonnegative("scatter_add_rows", "count", count);
  check_nonnegative("scatter_add_rows", "cols", cols);
  check_nonnegative("scatter_add_rows", "rows", rows);
  for (int64_t r = 0; r < count; ++r) {
    if (index[r] < 0 || index[r] >= rows)
      throw std::out_of_range(str_cat("scatter_add_rows: every index must be in [0, ", rows, "). Received: index[",
                                      r, "]=", index[r]));
  }
  for (int64_t r = 0; r < count; ++r) {
    float* out = dst + index[r] * cols;
    const float* in = src + r * cols;
    for (int64_t j = 0; j < cols; ++j) out[j] += in[j];
  }
}

}  // namespace pykeras
