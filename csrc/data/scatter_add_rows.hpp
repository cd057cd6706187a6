// The adjoint of take_rows: a gathered batch's gradient added back into the rows it was taken from
// (an Embedding's table, an indexed weight).
#pragma once

#include <cstdint>

namespace pykeras {

// dst row index[r] += src row r (cols floats each), for r in [0, count) in that order, so a row taken
// several times sums its gradients in the order numpy's add.at sums them (the same bits). dst holds
// `rows` rows; every index must be in [0, rows): checked before anything is written
// (std::out_of_range otherwise). src must not overlap dst.
void scatter_add_rows(const float* src, const int64_t* index, int64_t count, int64_t cols, float* dst, int64_t rows);

}  // namespace pykeras
