// Gathering a batch: the rows of a dataset picked by a shuffled index, copied into one contiguous array.
#pragma once

#include <cstdint>

namespace pykeras {

// dst row r (row_bytes bytes) = src row index[r], for r in [0, count); src holds `rows` rows. Every
// index must be in [0, rows): checked before anything is copied (std::out_of_range otherwise).
// dst must not overlap src.
void take_rows(const char* src, int64_t rows, int64_t row_bytes, const int64_t* index, int64_t count, char* dst);

}  // namespace pykeras
